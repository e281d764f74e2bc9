import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/** The service's API, typed from its OpenAPI document (`openapi.json` beside this file). */
export type UserAuthClient = Client<paths>;

/** The access token to send, read per request: a variable, a store, a refresh flow. */
export type AccessTokenSource = () => string | undefined | Promise<string | undefined>;

export interface UserAuthClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  accessToken?: AccessTokenSource;
}

/** Sends `Authorization: Bearer <token>` when the source has a token and the call set none. */
export function bearerAuth(accessToken: AccessTokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const token = await accessToken();
      if (token !== undefined && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${token}`);
      }
      return request;
    },
  };
}

/**
 * A client for the service at `baseUrl` (its origin, e.g. `https://auth.example.com`: the paths
 * carry `/api/v1`). Other middleware (retries, logging) can be added with `client.use()`.
 */
export function createUserAuthClient(
  baseUrl: string,
  { accessToken, ...options }: UserAuthClientOptions = {},
): UserAuthClient {
  const client = createClient<paths>({ ...options, baseUrl });
  if (accessToken) client.use(bearerAuth(accessToken));
  return client;
}
