/**
 * A self-signed certificate for localhost / 127.0.0.1 (EC P-256, valid for 100 years), for
 * `wss:` tests only: made once with
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 *  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"`.
 * The key is public on purpose: it protects nothing.
 */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUdt63KQ63XIVrQjwzlu7pYccL6JEwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNjIwMTEwNFoYDzIxMjYxMTEy
MjAxMTA0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARYX1x4O1cfpt5sjRBVumhazp1l2EQL58wEkgp0N2G4serJxUR/qRzO
3lex22OSIisqWRJ+hFyMZbjytile5ttpo28wbTAdBgNVHQ4EFgQUk9cik78coRX7
CD2I8iwXfNiCPWgwHwYDVR0jBBgwFoAUk9cik78coRX7CD2I8iwXfNiCPWgwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIhAMTyolrTARo6I77ILxoViiz0vi2vWueB6KbypejGtJq3AiAX
xCvfkae1CvES7Dx2ISoTXrSxdCgfBg4AaiIFvH4AeA==
-----END CERTIFICATE-----
`;

export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRvo0wsMyYFLHuIAs
CBmrXMHB2Z2LUJHFLtZyPDIsD26hRANCAARYX1x4O1cfpt5sjRBVumhazp1l2EQL
58wEkgp0N2G4serJxUR/qRzO3lex22OSIisqWRJ+hFyMZbjytile5ttp
-----END PRIVATE KEY-----
`;
