// accountOf: whoami-v2 through the official @huggingface/hub client, against the local Hub.
import assert from "node:assert/strict";
import { accountOf } from "../../src/core/hub/account";
import type { LocalHub } from "../../hub/server";
import { rejectsWithCode } from "../helpers/assertions";
import { startDemoHub } from "../helpers/hub";

describe("accountOf (whoami-v2)", () => {
  const TOKEN = "hf_account_test_token_0123456789";
  let hub: LocalHub;
  before(async () => {
    hub = await startDemoHub({ tokens: [TOKEN] });
  });
  after(() => hub.close());

  it("names the token's user and its role", async () => {
    assert.deepEqual(await accountOf({ endpoint: hub.url, token: TOKEN }), { name: "demo-user", kind: "user", role: "read" });
    const asked = hub.ctx.log.find((e) => e.route === "api-whoami")!;
    assert.equal(asked.auth, "hub-token");
    assert.equal(asked.status, 200);
  });

  it("a token the Hub does not accept is `unauthorized`, in words that do not echo it", async () => {
    const wrong = "hf_wrong_token_abcdefghijklmnopqrst";
    const err = await rejectsWithCode(accountOf({ endpoint: hub.url, token: wrong }), "unauthorized", /does not accept this access token \(invalid, expired or revoked\)/);
    assert.ok(!err.message.includes(wrong));
    await rejectsWithCode(accountOf({ endpoint: hub.url, token: "not-a-token" }), "unauthorized", /not a Hugging Face token/);
  });

  it("an unreachable Hub is `network`", async () => {
    const dead = await startDemoHub();
    const url = dead.url;
    await dead.close();
    await rejectsWithCode(accountOf({ endpoint: url, token: TOKEN }), "network", /Cannot reach the Hub/);
  });
});
