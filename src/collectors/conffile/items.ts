/** The items the conffile collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const CONFFILE_ITEMS: readonly ItemSpec[] = [
  {
    key: 'conffile://<path>',
    description: 'The text of a regular file the file collector recorded, unless `exclude` names it.',
    attributes: {
      sha256: { type: 'string', summary: true, description: "Hash of the content (of the stored text's UTF-8 bytes when stored)" },
      size: { type: 'number', summary: true, description: 'Bytes' },
      stored: {
        type: 'string', summary: true,
        description: '`text` (content kept), `redacted` (kept with each secret value replaced by `«redacted»`), `binary` (NUL bytes or invalid UTF-8: hash only), `too_large` (over `size_limit`: hash only), `secret` or `excluded_builtin` (never stored)',
      },
    },
    contents: { content: 'The file text, when `stored` is `text` or `redacted`' },
  },
];
