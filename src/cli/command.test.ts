import { ADMIN_COMMANDS } from './commands/index.js';
import { asksForHelp, commandHelp, defineCommand, defineListCommand, parseCommandOptions, UsageError, usageLine, type AdminCommand } from './command.js';

const probe = defineCommand({
  name: 'probe:run',
  summary: 'a command to parse against',
  options: {
    id: { type: 'string', required: true, placeholder: 'N', description: 'the id' },
    tag: { type: 'string', multiple: true, placeholder: 'T', description: 'tags' },
    mode: { type: 'string', default: 'fast', description: 'how' },
    note: { type: 'string', description: 'a note' },
    all: { type: 'boolean', description: 'everything' },
  },
  async run() {},
});

const usageErrorOf = (args: string[]) => {
  try {
    parseCommandOptions(probe, args);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`${args.join(' ')} was accepted`);
};

describe('admin command options', () => {
  it('hands the command typed values: defaults, empty lists and false for what is absent', () => {
    expect(parseCommandOptions(probe, ['--id', '7'])).toEqual({ id: '7', tag: [], mode: 'fast', note: undefined, all: false });
    expect(parseCommandOptions(probe, ['--id=7', '--tag', 'a', '--tag=b', '--mode', 'slow', '--note= ', '--all'])).toEqual({
      id: '7',
      tag: ['a', 'b'],
      mode: 'slow',
      note: ' ',
      all: true,
    });
  });

  it.each([
    [['--id', '1', '--nope'], 'unknown option --nope'],
    [['--id', '1', 'stray'], "unexpected argument 'stray'"],
    [['--tag', 'a'], '--id is required'],
    [['--id', '1', '--id', '2'], '--id given more than once'],
    [['--id', '1', '--all', '--all'], '--all given more than once'],
    [['--id', '1', '--all=yes'], "'--all' does not take an argument"],
    [['--id'], "'--id <value>' argument missing"],
  ])('refuses %j as a usage error', (args, message) => {
    expect(usageErrorOf(args)).toContain(message);
  });

  it('finds --help and -h before the end of options only', () => {
    expect(asksForHelp(['--id', '1', '--help'])).toBe(true);
    expect(asksForHelp(['-h'])).toBe(true);
    expect(asksForHelp(['--', '--help'])).toBe(false);
  });

  it('derives the usage line and the help from the declaration', () => {
    expect(usageLine(probe)).toBe('usage: npm run admin -- probe:run --id N [--tag T …] [--mode VALUE] [--note VALUE] [--all]');
    const help = commandHelp(probe);
    expect(help).toMatch(/^ {2}--id N +the id \(required\)$/m);
    expect(help).toMatch(/^ {2}--tag T +tags \(repeatable\)$/m);
    expect(help).toMatch(/^ {2}--mode VALUE +how \(default: "fast"\)$/m);
    expect(help).toMatch(/^ {2}--all +everything$/m);
    expect(help).toMatch(/^ {2}-h, --help +print this help$/m);
  });

  it('refuses declarations it could not parse as declared', () => {
    expect(() => defineCommand({ name: 'x', summary: 'x', options: { help: { type: 'boolean', description: 'mine' } }, async run() {} })).toThrow(/reserved/);
    expect(() => defineCommand({ name: 'x', summary: 'x', options: { on: { type: 'boolean', required: true, description: 'on' } }, async run() {} })).toThrow(
      /boolean/,
    );
  });

  it('gives every list command --json, printing one array of objects with the keys of `json`', async () => {
    const list = defineListCommand({
      name: 'probe:list',
      summary: 'rows',
      options: {},
      counted: 'row(s)',
      list: async () => [{ n: 1n }, { n: 2n }],
      text: (row) => `#${row.n}`,
      json: (row) => ({ n: row.n.toString(), none: null }),
    });
    const lines: string[] = [];
    await list.run(undefined as never, parseCommandOptions(list, ['--json']), (line) => lines.push(line));
    expect(JSON.parse(lines.join('\n'))).toEqual([
      { n: '1', none: null },
      { n: '2', none: null },
    ]);
    lines.length = 0;
    await list.run(undefined as never, parseCommandOptions(list, []), (line) => lines.push(line));
    expect(lines).toEqual(['#1', '#2', '2 row(s)']);
  });

  it.each(ADMIN_COMMANDS.map((command) => [command.name, command] as [string, AdminCommand]))(
    '%s: its help describes each declared option',
    (_name, command) => {
      const help = commandHelp(command);
      for (const [name, spec] of Object.entries(command.options)) {
        expect(help).toContain(`--${name}`);
        expect(help).toContain(spec.description);
      }
    },
  );

  it('keeps command names unique', () => {
    const names = ADMIN_COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
