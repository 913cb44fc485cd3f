// A real OpenID Connect provider for homeflow's sign-in tests: node-oidc-provider with its
// development sign-in form (any password), one confidential client (homeflow), and the people
// of ACCOUNTS. It prints "listening <port>" when ready.
//
// A test can ask it to spoil the next ID token it issues, to check that homeflow refuses it:
//   POST /_test/next-token  body "tampered"        payload changed after signing
//   POST /_test/next-token  body "wrong-audience"  signed properly, for another client
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_URI, ACCOUNTS (JSON:
// {"login": {"email": ..., "name": ..., "groups": [...]}}).
import { Buffer } from 'node:buffer';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS);
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      post_logout_redirect_uris: [process.env.POST_LOGOUT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email'], profile: ['name'], groups: ['groups'] },
  pkce: { required: () => true },
  cookies: { keys: ['homeflow test provider'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    if (!(id in accounts)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
  // homeflow is the trust's own application: no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
});

let spoilNext = null;

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function spoil(idToken, how) {
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (how === 'tampered') {
    return [header, base64url({ ...claims, sub: 'someone-else' }), signature].join('.');
  }
  return new jose.SignJWT({ ...claims, aud: 'another-application' })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .sign(privateKey);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/_test/next-token' && ctx.method === 'POST') {
    let body = '';
    for await (const chunk of ctx.req) body += chunk;
    spoilNext = body.trim();
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && spoilNext && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await spoil(ctx.body.id_token, spoilNext) };
    spoilNext = null;
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${port}`);
});
