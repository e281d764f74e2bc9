/** A response body with the strong entity tag of the resource it shows. */
export class WithEtag<T> {
  constructor(
    readonly body: T,
    readonly etag: string,
  ) {}
}

/** The `headers` of a documented response that carries a `WithEtag` result's tag. */
export const ETAG_RESPONSE_HEADER = {
  ETag: {
    description:
      'Strong ETag of the resource; send it as `If-Match` to update or delete only that version.',
    required: true,
    schema: { type: 'string', example: '"3-0b6d7c1e-3f7e-4a55-9a8c-2f1d5c3b9e10"' },
  },
};
