/**
 * Render once, personalise cheaply: a template is rendered with placeholders `%%name%%` where
 * per-recipient values go, then each copy only joins precomputed pieces with that recipient's values.
 */
const PLACEHOLDER = /%%([a-zA-Z]+)%%/g;

export function placeholder(name: string): string {
  return `%%${name}%%`;
}

export type Filler = (values: Record<string, string>) => string;

/** Splits once; the returned function costs one array join per recipient. */
export function compileFiller(template: string, escape: (v: string) => string = (v) => v): Filler {
  const pieces = template.split(PLACEHOLDER);
  // split() with a capture group alternates literal text (even indexes) and names (odd indexes).
  return (values) => {
    let out = '';
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      out += i % 2 === 0 ? piece : escape(values[piece] ?? '');
    }
    return out;
  };
}

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEntities[c] as string);
}
