/** A response body with the strong entity tag of the resource it shows. */
export class WithEtag<T> {
  constructor(
    readonly body: T,
    readonly etag: string,
  ) {}
}
