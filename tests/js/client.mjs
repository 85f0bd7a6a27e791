// Drives skills-mcp with the official TypeScript MCP SDK: a client that is not ours.
//
//   node client.mjs SKILL_FOLDER COMMAND [ARGS...]
//
// e.g. node client.mjs ~/skills/pdf-tools /path/to/skills-mcp --allow-dir ~/skills
// The server gets this process's environment (ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY, ...).
// Prints one JSON object with what the client saw; exits non-zero on any exception.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [skillPath, command, ...args] = process.argv.slice(2);
if (!skillPath || !command) {
  console.error("usage: node client.mjs SKILL_FOLDER COMMAND [ARGS...]");
  process.exit(2);
}

// Keep only what a tool result says, so the output stays small.
const seen = (result) => ({ isError: result.isError ?? false, structuredContent: result.structuredContent ?? null });

const transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "inherit" });
const client = new Client({ name: "skills-mcp-ts-test", version: "1.0.0" });

try {
  await client.connect(transport);
  const tools = (await client.listTools()).tools.map((tool) => tool.name);
  const validate = await client.callTool({ name: "validate_skill", arguments: { path: skillPath } });
  const publish = await client.callTool({ name: "publish_skill", arguments: { path: skillPath } });
  const skillId = publish.structuredContent?.skill?.id;
  if (!skillId) throw new Error(`publish_skill returned no skill id: ${JSON.stringify(publish)}`);
  const get = await client.callTool({ name: "get_skill", arguments: { skill_id: skillId } });

  const server = client.getServerVersion();
  console.log(JSON.stringify({
    server,
    tools,
    validate_skill: seen(validate),
    publish_skill: seen(publish),
    get_skill: seen(get),
  }));
} catch (error) {
  console.error(error?.stack ?? error);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
}
