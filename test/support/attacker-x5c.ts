// An attacker's P-256 key and a self-signed certificate for it (CN=attacker.example), generated once
// with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256`. Used to put a genuine x5c
// chain in a token header: Tollgate must never take keys from the token.
import { createPrivateKey, type KeyObject } from 'node:crypto';

export const ATTACKER_PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBtZRpPE4m0rrCtcx
ytdZH2DDDbj0GY0MfBb4ZZKwrXmhRANCAASnh+xwfaJXuvo/jcPf+cI7PhWkCaDA
7WcxT6Fyr0aZQZWtgJaonCT9fC0SE1Lfu7Ubfbv9oIoNDrL47CL+0Jvp
-----END PRIVATE KEY-----`;

/** DER certificate, standard base64, as an x5c entry carries it. */
export const ATTACKER_CERT_B64 =
  'MIIBjjCCATOgAwIBAgIUfYc0Q0DBz6y8Lj2l0FxKoOd9s10wCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQYXR0YWNrZXIuZXhhbXBsZTAgFw0yNjExMjIxMjAyMDFaGA8yMTI2MTAyOTEyMDIwMVowGzEZMBcGA1UEAwwQYXR0YWNrZXIuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKeH7HB9ole6+j+Nw9/5wjs+FaQJoMDtZzFPoXKvRplBla2AlqicJP18LRITUt+7tRt9u/2gig0OsvjsIv7Qm+mjUzBRMB0GA1UdDgQWBBTF1VOJIwZzUHZNOLutmhoL8xjrTjAfBgNVHSMEGDAWgBTF1VOJIwZzUHZNOLutmhoL8xjrTjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDxV+2/dwWzqzb5gac4wG8Rb9OQZbdrQlWuEY840j3HJAIhAIP3GENuukjNoPpCT99iG/0x0M7QloygOEjmS79jz9kk';

export function attackerPrivateKey(): KeyObject {
  return createPrivateKey(ATTACKER_PRIVATE_KEY_PEM);
}
