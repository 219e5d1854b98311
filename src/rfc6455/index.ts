/** The sans-I/O RFC 6455 engine. Internal: imported by server/ and tests, never by client/. */
export {};
