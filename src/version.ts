/** The version of m365audit: package.json's (a test keeps the two equal). */
export const VERSION = '0.1.0';
export const TOOL_NAME = 'm365audit';
