/** An error's or a failure's text, for a message. */
export const detail = (error: unknown): string => (error instanceof Error ? error.message : String(error));
