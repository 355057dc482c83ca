/** The commands of the README's set-up block (under '## Set-up'), comments stripped. */
export function setupCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Set-up'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("README.md: no ```sh block under '## Set-up'");
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}
