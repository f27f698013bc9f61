import { DfsimError } from '../diagnostics/diagnostic.js';
import { writeAtomic } from '../cache/store.js';

/** Writes an --html report; an unwritable path is a usage error that names the file. */
export function writeHtml(file: string, html: string): void {
  try {
    writeAtomic(file, html);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new DfsimError({ code: 'DF9005', severity: 'error', message: `cannot write the HTML report to ${file} (${reason})`, hint: 'Pass a path in a directory you can write to.' }, 2);
  }
}
