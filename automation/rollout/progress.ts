/**
 * How a rollout shows progress: on a terminal, one line per followed resource, redrawn in place
 * with a bar; elsewhere (CI logs, pipes) a plain line each time what a follower sees changes.
 */
import type { Observation } from "./follow";

export interface Display {
    /** What a follower saw. */
    observe(label: string, observation: Observation): void;
    /** A line of its own (a retry, a phase), kept above the live lines. */
    note(line: string): void;
    /** Ends the live area (the last state stays on screen). */
    close(): void;
}

/** `mm:ss` (or `h:mm:ss`) since the start. */
export function elapsed(ms: number): string {
    const total = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const two = (n: number) => String(n).padStart(2, "0");
    return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** `[#####.....]` for a percentage, or spaces when unknown. */
export function bar(percent: number | undefined, width = 20): string {
    if (percent === undefined) {
        return `[${" ".repeat(width)}]`;
    }
    const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

const MARK: Record<Observation["state"], string> = { "in-progress": "…", succeeded: "✓", failed: "✗" };

/** Plain lines: one per change of what a follower sees, prefixed with the elapsed time. */
export function plainDisplay(print: (line: string) => void, now: () => number): Display {
    const start = now();
    const seen = new Map<string, string>();
    return {
        observe(label, observation) {
            const line = `${label}: ${observation.state} - ${observation.summary}`;
            if (seen.get(label) !== line) {
                seen.set(label, line);
                print(`[${elapsed(now() - start)}] ${line}`);
            }
        },
        note(line) {
            print(`[${elapsed(now() - start)}] ${line}`);
        },
        close() {},
    };
}

/** A live block on a terminal: one line per follower, redrawn in place (ANSI cursor movement). */
export function terminalDisplay(write: (text: string) => void, now: () => number, columns = 100): Display {
    const start = now();
    const lines = new Map<string, string>();
    let drawn = 0;
    const clip = (text: string) => (text.length > columns ? `${text.slice(0, columns - 1)}…` : text);
    const redraw = () => {
        // Up to the first live line, then rewrite each one, clearing what was there.
        let out = drawn > 0 ? `\x1b[${drawn}A` : "";
        for (const line of lines.values()) {
            out += `\r\x1b[2K${clip(line)}\n`;
        }
        drawn = lines.size;
        write(out);
    };
    return {
        observe(label, observation) {
            lines.set(
                label,
                `${MARK[observation.state]} ${bar(observation.percent)} ${elapsed(now() - start)} ${label}: ${observation.summary}`,
            );
            redraw();
        },
        note(line) {
            // Above the live block: move up, write the note, redraw the block below it.
            let out = drawn > 0 ? `\x1b[${drawn}A` : "";
            out += `\r\x1b[2K${clip(line)}\n`;
            write(out);
            drawn = 0;
            redraw();
        },
        close() {
            drawn = 0;
        },
    };
}
