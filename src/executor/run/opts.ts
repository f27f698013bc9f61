export interface Parsed {
  flags: Set<string>;
  values: Map<string, string>;
  operands: string[];
}

/** getopt-style parsing with permutation (options may follow operands until `--`). */
export function parseOpts(args: string[], withValue = ''): Parsed {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      if (eq !== -1) values.set(a.slice(2, eq), a.slice(eq + 1));
      else flags.add(a.slice(2));
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j] as string;
        if (withValue.includes(f)) {
          const rest = a.slice(j + 1);
          values.set(f, rest !== '' ? rest : (args[++i] ?? ''));
          break;
        }
        flags.add(f);
      }
      continue;
    }
    operands.push(a);
  }
  return { flags, values, operands };
}

