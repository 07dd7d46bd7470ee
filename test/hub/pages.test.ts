// The local Hub's web pages (issue 13, item 8): the front page, a model page (Open Model Page), and the gated
// repo's "agree and access" form that grants the demo user, after which the official client downloads the file.
import assert from "node:assert/strict";
import { downloadFile } from "@huggingface/hub";
import type { LocalHub } from "../../hub/server";
import { sha256, startDemoHub } from "../helpers/hub";

describe("local Hub web pages and the gated grant flow", function () {
  this.timeout(60_000);
  const TOKEN = "hf_pages_test_token_0123456789";
  let hub: LocalHub;
  before(async () => {
    hub = await startDemoHub({ tokens: [TOKEN] });
  });
  after(() => hub.close());

  const page = async (path: string) => {
    const res = await fetch(`${hub.url}${path}`);
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  };

  it("the front page links every public model and no private one", async () => {
    const home = await page("/");
    assert.equal(home.status, 200);
    assert.match(home.type ?? "", /^text\/html/);
    assert.match(home.text, /<a href="\/demo\/tiny-model">demo\/tiny-model<\/a>/);
    assert.match(home.text, /demo\/gated-model<\/a> \(gated\)/);
    assert.doesNotMatch(home.text, /private-model/);
  });

  it("a model page names the repo and its files; a private or missing repo is a 404 page", async () => {
    const tiny = await page("/demo/tiny-model");
    assert.equal(tiny.status, 200);
    assert.match(tiny.text, /<h1>demo\/tiny-model<\/h1>/);
    assert.match(tiny.text, /<code>config\.json<\/code>/);
    assert.equal((await page("/demo/private-model")).status, 404);
    assert.equal((await page("/demo/nothing-here")).status, 404);
  });

  it("a gated model downloads only after its terms are accepted on its page", async () => {
    const file = () => downloadFile({ repo: "demo/gated-model", path: "config.json", hubUrl: hub.url, accessToken: TOKEN });
    await assert.rejects(file(), /restricted and you are not in the authorized list/);
    const before = await page("/demo/gated-model");
    assert.match(before.text, /<form method="POST" action="\/demo\/gated-model\/ask-access"><button type="submit">Agree and access repository<\/button><\/form>/);

    const agreed = await fetch(`${hub.url}/demo/gated-model/ask-access`, { method: "POST", redirect: "manual" });
    assert.equal(agreed.status, 303);
    assert.equal(agreed.headers.get("location"), "/demo/gated-model");
    assert.match((await page("/demo/gated-model")).text, /you have been granted access to this model \(demo-user\)/);

    const blob = await file();
    assert.ok(blob, "the file downloads");
    const repo = hub.ctx.repos.get("demo/gated-model")!;
    const expected = repo.commits.get(repo.branches.get("main")!)!.files.get("config.json")!;
    assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), expected.sha256);
  });
});
