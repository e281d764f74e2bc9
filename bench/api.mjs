// The few calls the harness itself makes to the service: sign-ins and one-off checks.

export async function send(baseUrl, { method, path, headers = {}, body }) {
  const response = await fetch(new URL(path, baseUrl), { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

export async function login(baseUrl, email, password) {
  const response = await send(baseUrl, {
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) {
    throw new Error(`login as ${email} answered ${response.status}: ${response.text}`);
  }
  return JSON.parse(response.text);
}

/** Signs every address in, `concurrency` at a time (each sign-in is an argon2 verification). */
export async function loginAll(baseUrl, emails, password, concurrency = 4) {
  const results = new Array(emails.length);
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const index = next;
      next += 1;
      results[index] = await login(baseUrl, emails[index], password);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
