/** A command-line mistake: the commands print it with their usage line and exit with status 2. */
export class UsageError extends Error {
    override name = "UsageError";
}
