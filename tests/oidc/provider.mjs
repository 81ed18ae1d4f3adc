// A real OpenID Connect provider for the single sign-on tests (the npm package oidc-provider),
// on 127.0.0.1. Its accounts, its one client and the port come from the environment:
//   OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI,
//   OIDC_ACCOUNTS = {"<login>": {"email": ..., "email_verified": true, "name": ..., "groups": [...]}}
// Its development login page accepts any password for a login listed in OIDC_ACCOUNTS.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "groups", "cohorts"],
  },
  // Every granted claim goes into the ID token, where the platform reads them.
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: `subject-${id}`, ...account }; } };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["ops-academy-test-provider"] },
});
provider.listen(port, "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
