/**
 * The name rule of duplicate detection (docs/adr/0008, issue 13 item 15): how alike two people's
 * names are, 0..1, once a ZIP code or a phone suffix already ties their records. Pure functions;
 * `DuplicateDetection` fetches the candidates and their Double Metaphone codes from Postgres and
 * scores them here. Measured on a seeded, labelled set (bench/duplicates,
 * docs/performance/duplicates.md).
 */

/**
 * Name score (0..1) from which two names corroborated by the same ZIP code or the same last four
 * phone digits are "the same person". `nameScore`:
 *
 * - both names have a first and a last name: the first word of each part is compared (middle
 *   names and second surnames are left out), straight (first/first, last/last) or swapped
 *   (first/last, last/first); the score is the weaker part of the better alignment, and a swapped
 *   alignment needs both parts ≥ 0.8;
 * - otherwise (a first or last name missing on either side): the pg_trgm similarity of the full
 *   names.
 *
 * A part (`partScore`) scores 1 when equal or nicknames of each other (`NICKNAME_GROUPS`); 0.9 at
 * typo distance ≤ 1 (`typoDistance`) with 4+ letters; 0.8 when both sound alike (same Double
 * Metaphone code, primary or alternate, lengths within 1) at Levenshtein distance ≤ 2 with 5+
 * letters; 0.8 when one is at typo distance ≤ 0.5 of a nickname of the other ("Ilam" / William
 * through "Liam"); 0.7 at typo distance ≤ 1.5 with 7+ letters; else 0.
 */
export const NAME_SIMILARITY_THRESHOLD = 0.6;

/**
 * First names that may be the same person's (nickname groups; any two names of a group match):
 * the common US English ones and a few Spanish ones. Lower-case. Extended on 2026-12-07 with common
 * groups it lacked (Hank, Walt, Ron, Doug, Mandy, Sandy, ...) once the duplicates bench drew its
 * nicknames from a list written separately.
 */
export const NICKNAME_GROUPS: readonly (readonly string[])[] = [
  'robert bob bobby rob robbie bert',
  'william bill billy will willie liam',
  'richard rick ricky dick rich richie',
  'james jim jimmy jamie',
  'john jack johnny jon',
  'jonathan jon jonny nathan',
  'michael mike mikey mick mickey',
  'david dave davey davy',
  'joseph joe joey',
  'thomas tom tommy',
  'charles charlie chuck chas',
  'christopher chris topher kit',
  'daniel dan danny',
  'matthew matt matty',
  'anthony tony',
  'donald don donnie',
  'steven steve stevie',
  'stephen steve stevie',
  'andrew andy drew',
  'joshua josh',
  'kenneth ken kenny',
  'edward ed eddie ted ned',
  'timothy tim timmy',
  'gregory greg',
  'benjamin ben benny benji',
  'samuel sam sammy',
  'alexander alex xander',
  'nicholas nick nicky',
  'patrick pat paddy',
  'peter pete',
  'raymond ray',
  'gerald gerry jerry',
  'lawrence larry',
  'jeffrey jeff',
  'zachary zach zack',
  'elizabeth liz lizzie beth betty betsy eliza',
  'margaret maggie meg peggy marge madge',
  'katherine kate katie kathy kat',
  'catherine cathy kate katie cat',
  'kathleen kathy kate',
  'jennifer jen jenny',
  'patricia pat patty trish',
  'susan sue susie suzy',
  'deborah debbie deb',
  'rebecca becky becca',
  'kimberly kim',
  'christine chris chrissy tina',
  'christina chris tina',
  'samantha sam sammy sammie',
  'victoria vicky tori',
  'alexandra alex alexa lexi',
  'abigail abby',
  'jacqueline jackie',
  'theresa teresa terri tess',
  'judith judy',
  'pamela pam',
  'cynthia cindy',
  'dorothy dot dottie',
  'barbara barb barbie',
  'jessica jess jessie',
  'guadalupe lupe',
  'alejandro alex',
  'francisco paco frank',
  'jose pepe',
  'henry hank harry hal',
  'harold hal harry',
  'walter walt wally',
  'ronald ron ronnie',
  'douglas doug',
  'albert al bert',
  'arthur art artie',
  'eugene gene',
  'philip phil',
  'phillip phil',
  'russell russ',
  'jacob jake',
  'nathan nate nat',
  'nathaniel nate nat',
  'louis lou',
  'leonard leo len lenny',
  'vincent vince vinny',
  'frederick fred freddie',
  'sandra sandy',
  'amanda mandy',
  'stephanie steph',
  'virginia ginny',
  'isabella bella izzy',
  'madison maddie',
  'frances fran frankie',
].map((group) => group.split(' '));

/** The names of `NICKNAME_GROUPS` that may stand for `name` (lower-case; without `name` itself). */
export function nicknamesOf(name: string): string[] {
  const word = name.toLowerCase();
  return [...new Set(NICKNAME_GROUPS.filter((group) => group.includes(word)).flat())].filter((other) => other !== word);
}

/** The first word of a name part, lower-cased ('' for none): what the name score compares. */
export function namePartOf(part: string | null | undefined): string {
  return (part ?? '').trim().toLowerCase().split(/\s+/)[0] ?? '';
}

/** Rows of a US QWERTY keyboard with each row's offset in key widths (row 2 starts ¼ key right, row 3 ¾). */
const QWERTY_ROWS: ReadonlyArray<readonly [string, number]> = [
  ['qwertyuiop', 0],
  ['asdfghjkl', 0.25],
  ['zxcvbnm', 0.75],
];
const KEY_POSITION = new Map<string, readonly [number, number]>(
  QWERTY_ROWS.flatMap(([keys, offset], row) => [...keys].map((key, column) => [key, [row, column + offset] as const] as const)),
);

/** Whether two different letters are touching keys on a US QWERTY keyboard (same or next row, at most one key width apart). */
export function areKeyboardNeighbours(a: string, b: string): boolean {
  const [p, q] = [KEY_POSITION.get(a), KEY_POSITION.get(b)];
  if (!p || !q || a === b) return false;
  return Math.abs(p[0] - q[0]) <= 1 && Math.abs(p[1] - q[1]) <= 1;
}

/** Costs of `typoDistance`'s edits: the slips of typing cost half an edit, a letter for an unrelated one more than one. */
export const TYPO_COSTS = {
  insertOrDelete: 1,
  /** A letter inserted or dropped next to the same letter ("Sarrah" / "Sarah", "Wiliam" / "William"). */
  doubledLetter: 0.5,
  /** Two neighbouring letters swapped ("Jnenifer" / "Jennifer"). */
  transposition: 0.5,
  /** A letter replaced by a touching key ("Mqry" / "Mary"). */
  keyboardNeighbour: 0.5,
  /** A letter replaced by an unrelated one: more often another name than a slip ("Terry" / "Berry", "Lawson" / "Larson"). */
  substitution: 1.25,
} as const;

/**
 * Typo distance between two lower-case words: the optimal string alignment distance (Levenshtein
 * with adjacent transpositions, each substring edited once; Damerau 1964) with the edit costs of
 * `TYPO_COSTS`, so that the slips a keyboard produces cost less than changes that make another
 * name. 0 for equal words; symmetric.
 */
export function typoDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(columns).fill(0));
  const indelCost = (word: string, index: number) =>
    index > 0 && word[index - 1] === word[index] ? TYPO_COSTS.doubledLetter : TYPO_COSTS.insertOrDelete;
  for (let i = 1; i < rows; i += 1) d[i][0] = d[i - 1][0] + indelCost(a, i - 1);
  for (let j = 1; j < columns; j += 1) d[0][j] = d[0][j - 1] + indelCost(b, j - 1);
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < columns; j += 1) {
      const [x, y] = [a[i - 1], b[j - 1]];
      const substitution = x === y ? 0 : areKeyboardNeighbours(x, y) ? TYPO_COSTS.keyboardNeighbour : TYPO_COSTS.substitution;
      let best = Math.min(d[i - 1][j] + indelCost(a, i - 1), d[i][j - 1] + indelCost(b, j - 1), d[i - 1][j - 1] + substitution);
      if (i > 1 && j > 1 && x !== y && x === b[j - 2] && a[i - 2] === y) best = Math.min(best, d[i - 2][j - 2] + TYPO_COSTS.transposition);
      d[i][j] = best;
    }
  }
  return d[rows - 1][columns - 1];
}

/** Levenshtein distance (unit costs, adjacent transposition counted 1) between two words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j += 1) d[0][j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** One name part as the score sees it: its first word, lower-cased, with its Double Metaphone codes (primary, alternate). */
export interface NameWord {
  word: string;
  /** Postgres fuzzystrmatch `dmetaphone` and `dmetaphone_alt` of the word ('' for none). */
  metaphone: readonly [string, string];
}

/** Part score (0..1) of two name words; see NAME_SIMILARITY_THRESHOLD for the rules. */
export function partScore(a: NameWord, b: NameWord): number {
  const [x, y] = [a.word, b.word];
  if (x === '' || y === '') return 0;
  if (x === y || nicknamesOf(x).includes(y)) return 1;
  const longest = Math.max(x.length, y.length);
  const distance = typoDistance(x, y);
  if (distance <= 1 && longest >= 4) return 0.9;
  const soundAlike =
    (a.metaphone[0] !== '' && a.metaphone[0] === b.metaphone[0]) || (a.metaphone[1] !== '' && a.metaphone[1] === b.metaphone[1]);
  if (soundAlike && longest >= 5 && Math.abs(x.length - y.length) <= 1 && editDistance(x, y) <= 2) return 0.8;
  const nearNickname = (word: string, other: string) =>
    nicknamesOf(other).some((nickname) => Math.max(word.length, nickname.length) >= 4 && typoDistance(word, nickname) <= 0.5);
  if (nearNickname(x, y) || nearNickname(y, x)) return 0.8;
  if (distance <= 1.5 && longest >= 7) return 0.7;
  return 0;
}

/** A person's name as the score reads it: first and last word (`NameWord`) and, for the fallback, the full name. */
export interface ScoredName {
  first: NameWord;
  last: NameWord;
}

/**
 * Name score (0..1) of two names with a first and a last name each: the better of the straight
 * and the swapped alignment (see NAME_SIMILARITY_THRESHOLD). Names with a part missing are scored
 * by trigrams in SQL instead.
 */
export function nameScore(a: ScoredName, b: ScoredName): number {
  const straight = Math.min(partScore(a.first, b.first), partScore(a.last, b.last));
  const swappedWeaker = Math.min(partScore(a.first, b.last), partScore(a.last, b.first));
  return Math.max(straight, swappedWeaker >= 0.8 ? swappedWeaker : 0);
}
