/**
 * A read message into typed data: whether it is a message at all, its
 * fields, the Received chain and connecting IP, Authentication-Results and
 * ARC-Authentication-Results, Microsoft's anti-spam stamps, and the delivery
 * report when it is one. No DNS, no findings: the analysis above judges these
 * facts. Never throws: a malformed message gives what could be read.
 */
import { parseMicrosoftHeaders } from './antispam.js';
import { parseArcAuthenticationResults, parseAuthenticationResults } from './authres.js';
import { classifyMessage } from './classify.js';
import { parseDeliveryReport } from './dsn.js';
import { headerFields, parseHeaderBlock } from './headers.js';
import { connectingIpEvidence, parseReceivedChain } from './received.js';
import type { ParsedHeaders, ParsedMessage, ReadMessage } from './types.js';

/** Header analysis without the body: everything parseMessage gives but the report. Synchronous. */
export function parseMessageHeaders(headers: ParsedHeaders): Omit<ParsedMessage, 'notMessage' | 'report' | 'size'> {
  const authenticationResults = headerFields(headers, 'authentication-results').map((f) => parseAuthenticationResults(f.value));
  const arcAuthenticationResults = headerFields(headers, 'arc-authentication-results').map((f) => parseArcAuthenticationResults(f.value));
  const received = parseReceivedChain(headers);
  const microsoft = parseMicrosoftHeaders(headers, authenticationResults);
  const connectingIp = connectingIpEvidence(headers, received, microsoft.forefront?.cip ?? null, authenticationResults);
  return { headers, received, connectingIp, authenticationResults, arcAuthenticationResults, microsoft };
}

/** A message read by readMessage, parsed. `notMessage` says when it is not a message (and the sections are then empty). */
export async function parseMessage(read: ReadMessage): Promise<ParsedMessage> {
  const headers = parseHeaderBlock(read.header, read.headerTruncated);
  const size = { headerBytes: read.headerBytes, bodyBytes: read.bodyBytes, headerTruncated: read.headerTruncated, bodyTruncated: read.bodyTruncated, headersOnly: read.headersOnly };
  const notMessage = classifyMessage(read, headers);
  if (notMessage) {
    const empty: ParsedHeaders = { fields: [], malformed: [], malformedTotal: 0, fieldsTotal: 0, truncated: false };
    return { notMessage, report: null, size, ...parseMessageHeaders(empty) };
  }
  const report = await parseDeliveryReport(read, headers);
  return { notMessage: null, report, size, ...parseMessageHeaders(headers) };
}
