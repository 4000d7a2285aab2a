import sanitizeHtml from 'sanitize-html';

/** Tags an instruction may use: text, lists, tables, images. No scripts, styles, forms or frames. */
const TAGS = [...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'iframe'), 'img', 'h1', 'h2', 'span'];

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: TAGS,
  allowedAttributes: {
    a: ['href', 'title'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    '*': ['class'],
    td: ['colspan', 'rowspan'],
    th: ['colspan', 'rowspan', 'scope'],
  },
  allowedSchemes: ['https', 'mailto'],
  allowedSchemesByTag: { img: ['https', 'data'] },
  allowProtocolRelative: false,
};

/** Instruction HTML as operators see it: only harmless markup survives (no script, no handlers). */
export function sanitizeInstruction(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}

/** Elements an `htmlelement` component may be. */
export const INSTRUCTION_TAGS: ReadonlySet<string> = new Set(TAGS);
