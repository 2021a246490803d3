import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';

interface ExplainedJson {
  explanations: { id: string | null; enhancedCode: string | null; replyCode: number | null; microsoft: boolean; sender: string | null; markers: string[]; title: string; otherReading: { reading: string; title: string } | null }[];
}

/** Exchange Online NDR lines as they are pasted from the bounce's "Diagnostic information for administrators". */
const NDR_5_1_10 = "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'";
const NDR_5_7_520 = 'Remote Server returned \'550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555)\'';
const NDR_DBEB = "Remote Server returned '550 5.4.1 [ann@contoso.com]: Recipient address rejected: Access denied. AS(201806281) [CY1GCC01FT007.eop-gcc01.prod.protection.outlook.com]'";

describe('m365audit explain: pasted NDR lines (in-process)', () => {
  it('a Microsoft 5.1.10 is "recipient not found", with RFC 7505\'s null MX named; exit 0', async () => {
    const r = await runInProcess(['explain', NDR_5_1_10]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Code\s+│ 550 5\.1\.10 — Microsoft 365/);
    expect(r.stdout).toMatch(/Title\s+│ Recipient not found\s+│/);
    expect(r.stdout).toContain('RFC 7505');
    expect(r.stdout).toContain('Set-AcceptedDomain');
  });

  it('another server\'s 5.1.10 is the null MX, Microsoft\'s meaning named; no "Microsoft 365" on the code', async () => {
    const r = await runInProcess(['explain', '556 5.1.10 Recipient address has null MX']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Title\s+│ Recipient address has a null MX\s+│/);
    expect(r.stdout).toMatch(/Code\s+│ 556 5\.1\.10\s+│/);
    expect(r.stdout).toContain('Recipient not found');
  });

  it('several lines as JSON: ids, Microsoft\'s reading, the markers that showed it', async () => {
    const r = await runInProcess(['explain', '--format', 'json', NDR_5_1_10, NDR_5_7_520, NDR_DBEB, '451 4.7.500 Server busy, please try again later. (AS843)', '550 5.7.606']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as ExplainedJson;
    expect(out.explanations.map((e) => [e.id, e.enhancedCode, e.replyCode, e.microsoft])).toEqual([
      ['5.1.10', '5.1.10', 550, true],
      ['5.7.520', '5.7.520', 550, true],
      ['5.4.1', '5.4.1', 550, true],
      ['4.7.500-699', '4.7.500', 451, true],
      ['5.7.606-649', '5.7.606', 550, true],
    ]);
    expect(out.explanations.map((e) => e.markers)).toEqual([
      ['RESOLVER.ADR.RecipientNotFound'],
      ['AS(7555)', 'does not allow external forwarding'],
      ['protection.outlook.com', 'AS(201806281)', 'Recipient address rejected: Access denied'],
      [],
      [],
    ]);
    expect(out.explanations[0]?.otherReading).toMatchObject({ reading: 'rfc', title: 'Recipient address has a null MX' });
    expect(out.explanations[2]?.title).toBe('Recipient address rejected: Access denied (DBEB)');
  });

  it('escapes hostile text from the pasted line in the table', async () => {
    const r = await runInProcess(['explain', '550 5.1.10 \x1b[2J\x1b[31mRESOLVER.ADR.RecipientNotFound\x07']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\x07\x1b]/);
    expect(r.stdout).toMatch(/Title\s+│ Recipient not found/);
  });

  it('exit 2 and one stderr line for a word that is not a code (quote a whole NDR line)', async () => {
    // Unquoted, the shell splits the line: the words after the code are not codes.
    const r = await runInProcess(['explain', '550', '5.1.10', 'RESOLVER.ADR.RecipientNotFound;']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not an SMTP code: "RESOLVER\.ADR\.RecipientNotFound;".*a whole NDR line in quotes/);
  });
});
