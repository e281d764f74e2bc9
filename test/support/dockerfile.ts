export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Copy {
  from: string | undefined;
  sources: string[];
}

export function parseDockerfile(text: string): { syntax: string | undefined; stages: Stage[] } {
  const syntax = /^#\s*syntax\s*=\s*(\S+)/m.exec(text)?.[1];
  const logicalLines: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += ' ' + line.replace(/\\\s*$/, '').trim();
    if (continued) continue;
    if (pending.trim() !== '') logicalLines.push(pending.trim());
    pending = '';
  }
  if (pending.trim() !== '') logicalLines.push(pending.trim());

  const stages: Stage[] = [];
  for (const line of logicalLines) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const [, image, name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ image, name: name?.toLowerCase(), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { syntax, stages };
}

/** The stage and the stages it is built FROM, base first. */
export function stageChain(stages: Stage[], stage: Stage): Stage[] {
  const parent = stages.find((candidate) => candidate.name === stage.image.toLowerCase());
  return parent ? [...stageChain(stages, parent), stage] : [stage];
}

export const instructionsOf = (chain: Stage[], keyword: string): string[] =>
  chain.flatMap((stage) =>
    stage.instructions.filter((item) => item.keyword === keyword).map((item) => item.args),
  );

export function copiesOf(chain: Stage[]): Copy[] {
  return chain.flatMap((stage) =>
    stage.instructions
      .filter((item) => item.keyword === 'COPY' || item.keyword === 'ADD')
      .map((item) => {
        const words = item.args.split(/\s+/);
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((word) => !word.startsWith('--'));
        return { from: from?.toLowerCase(), sources: paths.slice(0, -1) };
      }),
  );
}
