// Prints the configuration as .env.example lines (default) or as a Markdown table (--markdown),
// from the one schema in src/config.ts, so the docs cannot drift from the code.
import { configSchema } from '../src/config';

const markdown = process.argv.includes('--markdown');
const rows = Object.entries(configSchema.shape).map(([name, schema]) => {
  const parsed = configSchema.shape[name as keyof typeof configSchema.shape].safeParse(undefined);
  const fallback = parsed.success && parsed.data !== undefined ? String(parsed.data) : '';
  return { name, description: schema.description ?? '', fallback };
});

if (markdown) {
  console.log('| Variable | Default | What it does |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| \`${r.name}\` | ${r.fallback ? `\`${r.fallback}\`` : '(unset)'} | ${r.description} |`);
} else {
  console.log('# Bulletin settings. Every variable is optional; unset ones take the default shown.');
  for (const r of rows) console.log(`\n# ${r.description}\n# ${r.name}=${r.fallback}`);
}
