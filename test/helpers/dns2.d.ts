// dns2 ships no types; the test helper (loopback-dns.ts) types what it uses.
declare module 'dns2'
