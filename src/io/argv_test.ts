import { assertEquals } from "../../tests/support/assert.ts";
import { parseArgv } from "./argv.ts";

Deno.test("parseArgv splits on whitespace and honours quotes and escapes", () => {
  const cases: [string, string[]][] = [
    ["uptime", ["uptime"]],
    ["  /sbin/ip   addr show  ", ["/sbin/ip", "addr", "show"]],
    [`logger 'two words' "and \\"three\\" words"`, ["logger", "two words", 'and "three" words']],
    [`echo a\\ b`, ["echo", "a b"]],
    [`echo '' x`, ["echo", "", "x"]],
    [`echo it"'"s`, ["echo", "it's"]],
    [`echo "a\\nb"`, ["echo", "a\\nb"]],
  ];
  for (const [command, argv] of cases) {
    assertEquals(parseArgv(command), { ok: true, value: argv }, command);
  }
});

Deno.test("parseArgv passes shell metacharacters through as plain text", () => {
  assertEquals(parseArgv("echo $(reboot); rm -rf / | cat > /x && `id` *"), {
    ok: true,
    value: ["echo", "$(reboot);", "rm", "-rf", "/", "|", "cat", ">", "/x", "&&", "`id`", "*"],
  });
});

Deno.test("parseArgv refuses what it cannot split honestly", () => {
  assertEquals(parseArgv(""), { ok: false, reason: "empty command" });
  assertEquals(parseArgv("   "), { ok: false, reason: "empty command" });
  assertEquals(parseArgv("echo 'open"), { ok: false, reason: "unterminated quote" });
  assertEquals(parseArgv('echo "open'), { ok: false, reason: "unterminated quote" });
  assertEquals(parseArgv("echo \\"), { ok: false, reason: "trailing backslash" });
});
