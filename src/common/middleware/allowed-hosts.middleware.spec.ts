import { describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { allowedHostsMiddleware, hostnameOf, isHostAllowed } from './allowed-hosts.middleware.js';

describe('hostnameOf', () => {
  it.each([
    ['example.com', 'example.com'],
    ['example.com:3000', 'example.com'],
    [' API.Example.COM:443 ', 'api.example.com'],
    ['[::1]:3000', '[::1]'],
    ['[::1]', '[::1]'],
    ['127.0.0.1:8080', '127.0.0.1'],
  ])('reads %p as %p', (header, hostname) => {
    expect(hostnameOf(header)).toBe(hostname);
  });
});

describe('isHostAllowed', () => {
  it('allows every host when no list is configured', () => {
    expect(isHostAllowed('anything.example', [])).toBe(true);
    expect(isHostAllowed(undefined, [])).toBe(true);
  });

  it('refuses a request without a Host header when a list is configured', () => {
    expect(isHostAllowed(undefined, ['example.com'])).toBe(false);
    expect(isHostAllowed('', ['example.com'])).toBe(false);
  });

  it('allows an exact match, ignoring the port and case', () => {
    expect(isHostAllowed('Example.com:3000', ['example.com'])).toBe(true);
  });

  it('refuses a subdomain of an exact entry', () => {
    expect(isHostAllowed('api.example.com', ['example.com'])).toBe(false);
  });

  it('refuses a host that is not listed', () => {
    expect(isHostAllowed('evil.test', ['example.com', 'example.org'])).toBe(false);
  });

  it('matches any listed entry', () => {
    expect(isHostAllowed('example.org', ['example.com', 'example.org'])).toBe(true);
  });

  it.each(['example.com', 'api.example.com', 'a.b.example.com:8443'])(
    'lets a leading-dot entry match %p',
    (host) => {
      expect(isHostAllowed(host, ['.example.com'])).toBe(true);
    },
  );

  it.each(['evilexample.com', 'example.com.evil.test', 'example.co'])(
    'does not let a leading-dot entry match %p',
    (host) => {
      expect(isHostAllowed(host, ['.example.com'])).toBe(false);
    },
  );

  it('matches a bracketed IPv6 host with a port', () => {
    expect(isHostAllowed('[::1]:3000', ['[::1]'])).toBe(true);
    expect(isHostAllowed('[::2]:3000', ['[::1]'])).toBe(false);
  });
});

describe('allowedHostsMiddleware', () => {
  function run(path: string, host: string | undefined, allowedHosts: string[]): unknown[] {
    const calls: unknown[] = [];
    const request = { path, headers: host === undefined ? {} : { host } } as Request;
    const next = ((...args: unknown[]) => {
      calls.push(args);
    }) as NextFunction;
    allowedHostsMiddleware(allowedHosts)(request, {} as Response, next);
    return calls;
  }

  it('passes a request for an allowed host', () => {
    expect(run('/api/v1/users', 'example.com', ['example.com'])).toEqual([[]]);
  });

  it('passes a request for any host when no list is configured', () => {
    expect(run('/api/v1/users', 'evil.test', [])).toEqual([[]]);
  });

  it('exempts health probes addressed to the pod IP', () => {
    expect(run('/health/ready', '10.1.2.3:3000', ['example.com'])).toEqual([[]]);
  });

  it('does not exempt paths that only start like the health routes', () => {
    const [[error]] = run('/healthz', '10.1.2.3:3000', ['example.com']) as unknown[][];
    expect(error).toBeInstanceOf(DomainError);
  });

  it('refuses an unknown host with HTTP_HOST_NOT_ALLOWED', () => {
    const calls = run('/api/v1/users', 'evil.test', ['example.com']) as unknown[][];
    expect(calls).toHaveLength(1);
    const [error] = calls[0];
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'HTTP_HOST_NOT_ALLOWED', kind: 'invalid' });
  });

  it('refuses a request without a Host header when a list is configured', () => {
    const [[error]] = run('/api/v1/users', undefined, ['example.com']) as unknown[][];
    expect(error).toMatchObject({ code: 'HTTP_HOST_NOT_ALLOWED' });
  });
});
