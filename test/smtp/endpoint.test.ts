import { describe, expect, it } from 'vitest';
import { endpointKey, isMicrosoftBanner, isMicrosoftSmtpHost, parseEndpoint } from '../../src/smtp/endpoint.js';

describe('parseEndpoint', () => {
  it('reads host, host:port, [v6]:port and bare IPv6', () => {
    expect(parseEndpoint('smtp.office365.com', 587)).toEqual({ host: 'smtp.office365.com', port: 587 });
    expect(parseEndpoint('SMTP.Office365.com.:25', 587)).toEqual({ host: 'smtp.office365.com', port: 25 });
    expect(parseEndpoint('127.0.0.1:2525', 587)).toEqual({ host: '127.0.0.1', port: 2525 });
    expect(parseEndpoint('[::1]:2525', 587)).toEqual({ host: '::1', port: 2525 });
    expect(parseEndpoint('[::1]', 587)).toEqual({ host: '::1', port: 587 });
    expect(parseEndpoint('2001:db8::1', 465)).toEqual({ host: '2001:db8::1', port: 465 });
  });
  it('rejects what is not an endpoint', () => {
    for (const bad of ['', ' ', 'host:', 'host:0', 'host:65536', 'host:abc', '-bad.com', 'a..b', '[1.2.3.4]:25', 'ex ample.com', 'a:b:c', `${'a'.repeat(64)}.com`, 'http://x.com']) {
      expect(parseEndpoint(bad, 587), bad).toBeNull();
    }
  });
  it('keys endpoints for de-duplication', () => {
    expect(endpointKey({ host: 'SMTP.office365.com.', port: 587 })).toBe('smtp.office365.com:587');
    expect(endpointKey({ host: '::1', port: 25 })).toBe('[::1]:25');
  });
});

describe('Microsoft hosts and banners', () => {
  it('knows every cloud submission host and Microsoft MX names', () => {
    for (const h of ['smtp.office365.com', 'smtp.office365.us', 'smtp.partner.outlook.cn', 'contoso-com.mail.protection.outlook.com', 'smtp-mail.outlook.com']) expect(isMicrosoftSmtpHost(h), h).toBe(true);
    for (const h of ['127.0.0.1', 'mail.contoso.com', 'office365.com.evil.net', 'notoutlook.com']) expect(isMicrosoftSmtpHost(h), h).toBe(false);
  });
  it('recognises the banner of reference §8, old and new', () => {
    expect(isMicrosoftBanner('220 BN9PR03CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024 00:00:00 +0000')).toBe(true);
    expect(isMicrosoftBanner('220 SN1PEPF0002.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024 00:00:00 +0000 [08DC1234ABCD]')).toBe(true);
    expect(isMicrosoftBanner('220 mail.example.net ESMTP Postfix')).toBe(false);
    expect(isMicrosoftBanner('220 evil.example.net Microsoft ESMTP MAIL Service ready at now')).toBe(false);
  });
});
