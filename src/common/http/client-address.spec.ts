import { describe, expect, it } from '@jest/globals';
import { clientAddressKey, storableClientIp } from './client-address.js';

describe('clientAddressKey', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it.each(['::ffff:1.2.3.4', '::FFFF:1.2.3.4', '::ffff:0102:0304', '0:0:0:0:0:ffff:1.2.3.4'])(
    'reads the IPv4-mapped %p as 1.2.3.4',
    (mapped) => {
      expect(clientAddressKey(mapped)).toBe(clientAddressKey('1.2.3.4'));
    },
  );

  it('gives two addresses in one /64 the same key', () => {
    const key = clientAddressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0DB8:0001:0002:ffff:abcd:1234:5678')).toBe(key);
    expect(clientAddressKey('2001:db8:1:2:0:0:0:99')).toBe(key);
  });

  it('gives addresses in different /64s different keys', () => {
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(clientAddressKey('2001:db8:1:2::1'));
    expect(clientAddressKey('2001:db8::1')).not.toBe(clientAddressKey('2001:db9::1'));
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('reads an IPv6 address with an IPv4 tail or a zone id by its /64', () => {
    expect(clientAddressKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it.each([undefined, '', 'not-an-ip', '1.2.3.4, 5.6.7.8', '1.2.3.4:80', 'x'.repeat(5000)])(
    'puts %p, which is no IP address, in one shared bucket',
    (garbage) => {
      expect(clientAddressKey(garbage)).toBe('unknown');
    },
  );
});

describe('storableClientIp', () => {
  it.each([
    '203.0.113.7',
    '::1',
    '::ffff:127.0.0.1',
    'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
  ])('keeps the address %p', (ip) => {
    expect(storableClientIp(ip)).toBe(ip);
  });

  it.each([undefined, '', 'unknown', '<script>', '1.2.3.4, 5.6.7.8', '9'.repeat(300)])(
    'stores %p as null',
    (value) => {
      expect(storableClientIp(value)).toBeNull();
    },
  );
});
