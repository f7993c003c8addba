// Reads a CloudFormation template, YAML or JSON, into plain values: the short-form intrinsic tags
// (`!Ref X`, `!GetAtt A.Arn`, `!Sub ...`, `!If [...]`) become their long forms (`{ Ref: X }`,
// `{ "Fn::GetAtt": ["A", "Arn"] }`), as CloudFormation reads them. Problems carry line and column.
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
} from 'yaml';
import type { KeyPath } from '../core/key-path.js';
import { offsetOf } from '../settings/yaml-position.js';
import { TemplateError } from './errors.js';

/** Short tags whose long form is `{ Fn::NAME: value }`; `!Ref` and `!Condition` have no prefix. */
const FN_TAGS = new Set([
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Length',
  'ToJsonString',
]);

export interface ParsedTemplate {
  readonly value: unknown;
  /** Line and column of a key path, for errors and warnings. */
  position(path: KeyPath, atKey?: boolean): { line: number; column: number };
}

/** Parses the text of `file`; a syntax error or an unknown tag is a TemplateError with its place. */
export function parseCloudFormation(source: string, file: string): ParsedTemplate {
  const lines = new LineCounter();
  const doc = parseDocument(source, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    // Unknown tags are reported by the conversion below, with their place.
    customTags: [],
  });
  const at = (offset: number, message: string): TemplateError => {
    const { line, col } = lines.linePos(offset);
    return new TemplateError(`${file}:${line}:${col}: ${message}`);
  };
  const syntax = doc.errors[0];
  if (syntax)
    throw at(syntax.pos[0], `is not valid YAML or JSON: ${syntax.message.split('\n')[0]}`);
  const value = toValue(doc, doc.contents, at, 0);
  return {
    value,
    position(path, atKey = false) {
      const { line, col } = lines.linePos(offsetOf(doc, path, atKey));
      return { line, column: col };
    },
  };
}

type At = (offset: number, message: string) => TemplateError;

function toValue(doc: Document, node: unknown, at: At, depth: number): unknown {
  if (depth > 200) throw at(0, 'is nested too deeply');
  if (isAlias(node)) return toValue(doc, node.resolve(doc), at, depth + 1);
  const tag = (node as { tag?: string } | null)?.tag;
  const plain = plainValue(doc, node, at, depth);
  if (!tag || !tag.startsWith('!')) return plain;
  const name = tag.slice(1);
  const offset = (node as { range?: [number] }).range?.[0] ?? 0;
  if (name === 'Ref' || name === 'Condition') return { [name]: plain };
  if (!FN_TAGS.has(name)) throw at(offset, `${tag} is not a CloudFormation intrinsic function`);
  if (name === 'GetAtt' && typeof plain === 'string') {
    const dot = plain.indexOf('.');
    if (dot <= 0) throw at(offset, '!GetAtt must be RESOURCE.ATTRIBUTE');
    return { 'Fn::GetAtt': [plain.slice(0, dot), plain.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: plain };
}

function plainValue(doc: Document, node: unknown, at: At, depth: number): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((item) => toValue(doc, item, at, depth + 1));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) {
        const offset = (pair.key as { range?: [number] } | null)?.range?.[0] ?? 0;
        throw at(offset, 'has a list or a mapping as a key');
      }
      out[String(pair.key.value)] = toValue(doc, pair.value, at, depth + 1);
    }
    return out;
  }
  return null;
}
