/**
 * Line breaks smuggled into a name, an address or anything that ends up in a header are the classic
 * header-injection move; no single-line field holds a line break (Unicode's included) or a control character.
 */
const BREAKS_AND_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const isSingleLine = (value: string): boolean => !BREAKS_AND_CONTROLS.test(value);
