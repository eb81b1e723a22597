/**
 * Render once, personalise cheaply: a template is rendered with placeholders `%%name%%` where
 * per-recipient values go, then each copy only joins precomputed pieces with that recipient's values.
 */
const PLACEHOLDER = /%%([a-zA-Z]+)%%/g;

export function placeholder(name: string): string {
  return `%%${name}%%`;
}

export type Filler = (values: Record<string, string>) => string;

/** A template cut at its placeholders: literals[i], then names[i], ..., then the last literal. */
export function splitTemplate(template: string): { literals: string[]; names: string[] } {
  // split() with a capture group alternates literal text (even indexes) and names (odd indexes).
  const pieces = template.split(PLACEHOLDER);
  return { literals: pieces.filter((_, i) => i % 2 === 0), names: pieces.filter((_, i) => i % 2 === 1) };
}

/** Splits once; the returned function costs one string join per recipient. */
export function compileFiller(template: string, escape: (v: string) => string = (v) => v): Filler {
  const { literals, names } = splitTemplate(template);
  return (values) => {
    let out = literals[0] as string;
    for (let i = 0; i < names.length; i++) out += escape(values[names[i] as string] ?? '') + (literals[i + 1] as string);
    return out;
  };
}

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEntities[c] as string);
}
