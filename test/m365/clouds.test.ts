import { describe, expect, it } from 'vitest';
import { CLOUD_ENDPOINTS, CLOUDS, cloudsOfExoAudience, EXO_APP_ID } from '../../src/m365/clouds.js';

describe('the OAuth facts of each cloud (research/oauth.md §1)', () => {
  it('login host, Exchange Online resource and SMTP host per cloud', () => {
    expect(CLOUDS.map((c) => [c, CLOUD_ENDPOINTS[c].loginHost, CLOUD_ENDPOINTS[c].exoResource, CLOUD_ENDPOINTS[c].smtpHost])).toEqual([
      ['worldwide', 'login.microsoftonline.com', 'https://outlook.office365.com', 'smtp.office365.com'],
      ['gcc-high', 'login.microsoftonline.us', 'https://outlook.office365.us', 'smtp.office365.us'],
      // DoD submits to outlook-dod.office365.us (Microsoft's DoD endpoint table), not smtp.office365.us.
      ['dod', 'login.microsoftonline.us', 'https://outlook-dod.office365.us', 'outlook-dod.office365.us'],
      ['china', 'login.partner.microsoftonline.cn', 'https://partner.outlook.cn', 'smtp.partner.outlook.cn'],
    ]);
  });

  it('accepted audiences: the resource with and without a slash, the EXO app id; outlook.office.com for worldwide only', () => {
    expect(CLOUD_ENDPOINTS.worldwide.exoAudiences).toEqual(['https://outlook.office365.com', 'https://outlook.office365.com/', 'https://outlook.office.com', 'https://outlook.office.com/', EXO_APP_ID]);
    expect(CLOUD_ENDPOINTS.dod.exoAudiences).toEqual(['https://outlook-dod.office365.us', 'https://outlook-dod.office365.us/', EXO_APP_ID]);
    expect(cloudsOfExoAudience('HTTPS://OUTLOOK.OFFICE365.US/')).toEqual(['gcc-high']);
    expect(cloudsOfExoAudience(EXO_APP_ID)).toEqual(CLOUDS);
    expect(cloudsOfExoAudience('https://graph.microsoft.com')).toEqual([]);
  });
});
