import net from 'node:net';

/** The MX hosts of the paths-* fixture zones (the loopback ones and the mx.microsoft one) and loopback: the sandbox endpoint's certificate names them, so the port-25 probe verifies. */
export const PATHS_NAMES = ['localhost', '127.0.0.1', 'paths-in-test.mail.protection.outlook.com', 'paths-out-test.mail.protection.outlook.com', 'paths-gcc-test.mail.protection.office365.us', 'paths-dnssec-test.o-v1.mx.microsoft'];

/** A loopback port with nothing listening: bound, then closed (no sleeping: the close callback says it is free). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
