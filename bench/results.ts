import { readFile, writeFile } from "node:fs/promises";

const resultsUrl = new URL("./RESULTS.md", import.meta.url);

/** The machine a benchmark ran on, shown in the header of RESULTS.md. */
export interface Machine {
  cpu: string;
  cores: number;
  node: string;
}

function header(machine: Machine): string {
  return [
    "# Benchmark results",
    "",
    "Wall-clock measurements of tawazi. Each section below is written by one benchmark script " +
      "under bench/, named in the section; run it again to regenerate that section. The header " +
      "describes the machine of the latest run.",
    "",
    `- CPU: ${machine.cpu}`,
    `- Cores (os.availableParallelism()): ${machine.cores}`,
    `- Node: ${machine.node}`,
    `- Date: ${new Date().toISOString().slice(0, 10)}`,
  ].join("\n");
}

/**
 * Writes `section`, which starts with a "## " title line, into RESULTS.md. The section replaces
 * an earlier one with the same title, or is appended if there is none. Other sections are kept.
 */
export async function writeSection(section: string, machine: Machine): Promise<void> {
  let existing = "";
  try {
    existing = await readFile(resultsUrl, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }

  const title = section.slice(0, section.indexOf("\n"));
  const sections = existing.split(/^(?=## )/mu).filter((text) => text.startsWith("## "));
  const index = sections.findIndex((text) => text.startsWith(`${title}\n`));
  if (index === -1) sections.push(section);
  else sections[index] = section;

  const parts = [header(machine), ...sections].map((text) => `${text.trimEnd()}\n`);
  await writeFile(resultsUrl, parts.join("\n"));
}
