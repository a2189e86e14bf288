/** Types of `tools/source-maps.js`. */
export declare function registerSourceMap(filename: string, json: string): void;
/** The TypeScript position of a 1-based position in a file `tools/register.js` transpiled, or undefined. */
export declare function originalPosition(
    filename: string,
    line: number,
    column: number,
): { line: number; column: number } | undefined;
/** A stack trace with the positions in transpiled files mapped to TypeScript lines. */
export declare function mapStack(stack: string | undefined): string | undefined;
