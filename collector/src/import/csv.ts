/**
 * RFC 4180 CSV, fed line by line: a quoted field may span lines, doubled quotes escape a quote.
 * `push` returns the completed record, or null while a quoted field is still open.
 *
 * @example
 * const csv = new CsvRecordReader();
 * csv.push('a,"b, c"') // -> ['a', 'b, c']
 */
export class CsvRecordReader {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;

  push(line: string): string[] | null {
    if (this.inQuotes) this.field += '\n';
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (this.inQuotes) {
        if (ch === '"' && line[i + 1] === '"') {
          this.field += '"';
          i++;
        } else if (ch === '"') this.inQuotes = false;
        else this.field += ch;
      } else if (ch === '"' && this.field === '') this.inQuotes = true;
      else if (ch === ',') {
        this.fields.push(this.field);
        this.field = '';
      } else this.field += ch;
    }
    if (this.inQuotes) return null;
    const record = [...this.fields, this.field];
    this.fields = [];
    this.field = '';
    return record;
  }

  /** True when the input ended inside a quoted field. */
  get unterminated(): boolean {
    return this.inQuotes;
  }
}
