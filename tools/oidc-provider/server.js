// A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1, for the demo's and
// the tests' single sign-on: `make oidc-provider` starts it for the demo, .ci/run for the suite.
// For trying and testing only: its sign-in page takes any password, and anyone on this machine
// may register a client (dynamic registration), as the tests do for their live server's port.
//
//   OIDC_PROVIDER_PORT  the port (default 9400); the issuer is http://127.0.0.1:<port>
//   OIDC_DEMO_SITE      the demo site's address (default http://127.0.0.1:8000), whose client
//                       "eportfolio-demo" is registered at start-up
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PROVIDER_PORT || 9400);
const issuer = `http://127.0.0.1:${port}`;
const site = (process.env.OIDC_DEMO_SITE || 'http://127.0.0.1:8000').replace(/\/$/, '');
// The demo site by either name of this machine, as a browser may be pointed at either.
const sites = [...new Set([site, site.replace('://127.0.0.1:', '://localhost:')])];

// Who can sign in here, by login (their e-mail address). One matches a demo-centre user, one
// has an address the provider has not verified, one is nobody the site knows.
const ACCOUNTS = {
  'helen.carter@demo.example': {
    email: 'helen.carter@demo.example', email_verified: true, name: 'Helen Carter',
  },
  'olivia.bennett@learner.demo.example': {
    email: 'olivia.bennett@learner.demo.example', email_verified: false, name: 'Olivia Bennett',
  },
  'stranger@elsewhere.example': {
    email: 'stranger@elsewhere.example', email_verified: true, name: 'Sam Stranger',
  },
  // The same person as helen.carter, typed with capitals by the provider: matched all the same.
  'Helen.Carter@Demo.Example': {
    email: 'Helen.Carter@Demo.Example', email_verified: true, name: 'Helen Carter',
  },
};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: 'demo-signing-key', alg: 'RS256', use: 'sig' };

const configuration = {
  clients: [
    {
      client_id: 'eportfolio-demo',
      client_secret: 'demo-oidc-secret-not-for-production',
      redirect_uris: sites.map((address) => `${address}/accounts/sso/callback/`),
      post_logout_redirect_uris: sites.map((address) => `${address}/accounts/login/`),
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signing] },
  cookies: { keys: ['eportfolio-demo-provider-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: {
    // The quick-start sign-in page: any login below, any password.
    devInteractions: { enabled: true },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  // Our own clients: consent is taken as given (the "skip consent" recipe), so the sign-in page
  // is the only page the person sees here.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  ttl: { Session: 60 * 60, Grant: 60 * 60 },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, error) => console.error('server_error', error));

provider.listen(port, '127.0.0.1', () => {
  console.log(`OpenID provider at ${issuer} (discovery: ${issuer}/.well-known/openid-configuration)`);
  console.log(`Demo client eportfolio-demo for ${site}; sign in as any of:`);
  for (const [login, account] of Object.entries(ACCOUNTS)) {
    console.log(`  ${login}${account.email_verified ? '' : '  (e-mail not verified)'}`);
  }
  console.log('with any password.');
});
