/**
 * Progress of a long command: a bar redrawn in place on a terminal, one plain
 * line per finished item otherwise (CI logs, pipes), so logs stay greppable.
 */
export interface Progress {
  /** One item finished; `line` describes it. */
  step(line: string, failed?: boolean): void;
  end(): void;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export function progress(stream: ProgressStream, total: number): Progress {
  let done = 0;
  if (!stream.isTTY) {
    return {
      step: (line) => void stream.write(`${line}\n`),
      end: () => {},
    };
  }
  const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 40));
  const draw = (label: string) => {
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`;
    stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 80) - 1)}`);
  };
  draw('');
  return {
    step(line, failed = false) {
      done++;
      // Failures stay on screen above the bar; successes only flash by.
      if (failed) stream.write(`\r\x1b[2K${line}\n`);
      draw(failed ? '' : line);
    },
    end: () => void stream.write('\r\x1b[2K'),
  };
}
