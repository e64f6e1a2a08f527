/** A command's invocation was wrong (exit code 2, the command's usage on stderr). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: { readonly name: string },
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
