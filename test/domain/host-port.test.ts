import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from '../../src/domain/host-port.js';
import { parseServerAddress } from '../../src/dns/client.js';
import { splitServer } from '../../src/dns/raw.js';
import { parseEndpoint } from '../../src/smtp/endpoint.js';

describe('parseHostPort: the one host:port parser', () => {
  it.each([
    ['smtp.office365.com', { host: 'smtp.office365.com', port: null }],
    ['smtp.office365.com:587', { host: 'smtp.office365.com', port: 587 }],
    ['  192.0.2.1:53 ', { host: '192.0.2.1', port: 53 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: null }],
    ['2001:db8::1', { host: '2001:db8::1', port: null }],
    ['host:0', null],
    ['host:65536', null],
    ['host:5x', null],
    [':53', null],
    ['[192.0.2.1]:53', null],
    ['[::1]x', null],
    ['[::1', null],
    ['a:b:c', null],
    ['', null],
  ])('%j', (input, out) => expect(parseHostPort(input)).toEqual(out));

  it('formats IPv6 in brackets', () => {
    expect([formatHostPort('::1', 53), formatHostPort('192.0.2.1', 53), formatHostPort('smtp.example', 25)]).toEqual(['[::1]:53', '192.0.2.1:53', 'smtp.example:25']);
  });

  it('serves the DNS server option, the raw client and the SMTP endpoint alike', () => {
    expect(['127.0.0.1:5353', '[::1]:53', '::1', 'dns.example:53'].map(parseServerAddress)).toEqual(['127.0.0.1:5353', '[::1]:53', '::1', null]);
    expect([splitServer('127.0.0.1:5353'), splitServer('[::1]:53'), splitServer('::1')]).toEqual([{ host: '127.0.0.1', port: 5353 }, { host: '::1', port: 53 }, { host: '::1', port: 53 }]);
    expect([parseEndpoint('SMTP.Office365.com.:25', 587), parseEndpoint('[::1]', 587), parseEndpoint('bad_host!:25', 587)]).toEqual([{ host: 'smtp.office365.com', port: 25 }, { host: '::1', port: 587 }, null]);
  });
});
