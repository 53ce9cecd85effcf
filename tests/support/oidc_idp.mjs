// A real, certified OpenID provider for the sign-in tests: npm's
// oidc-provider (version pinned in package.json) on 127.0.0.1:0, with one
// client (the gateway), users in groups, RS256 and ES256 signing keys and
// its own login and consent pages (devInteractions), which the browser
// tests type into.

import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

function signingKey(type, kid) {
  const pair = type === 'RSA'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: type === 'RSA' ? 'RS256' : 'ES256' };
}

/**
 * users: { alice: { email, groups: [...] }, ... } — the login name is the
 * account id; any password is accepted (devInteractions). The object is
 * read on every request: a test may change a user's groups, or delete the
 * user (their refresh is then refused).
 * redirectUri: the gateway's <public-url>/auth/callback.
 */
export async function startIdentityProvider({ clientId, clientSecret, redirectUri, users, idTokenAlg = 'ES256',
  idTokenSeconds = 300 }) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      // Refresh tokens for the scope offline_access (oidc-provider's default
      // rule), for the gateway's --oidc-refresh.
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: idTokenAlg,
    }],
    jwks: { keys: [signingKey('RSA', 'rsa-1'), signingKey('EC', 'ec-1')] },
    async findAccount(ctx, id) {
      const user = users[id];
      if (!user) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: user.email, email_verified: true, name: id, groups: user.groups }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    // The claims of the scopes go into the ID token itself (the gateway
    // reads no userinfo).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['nanokit-test-idp-cookie-key'] },
    ttl: { IdToken: idTokenSeconds, AccessToken: 300, AuthorizationCode: 60, RefreshToken: 600, Session: 600,
      Interaction: 600, Grant: 600 },
  });
  provider.on('server_error', (ctx, err) => console.error('idp server_error', err));
  server.on('request', provider.callback());
  return { issuer, provider, stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
}
