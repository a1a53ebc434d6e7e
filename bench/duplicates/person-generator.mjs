/**
 * A seeded, labelled set of person records for measuring duplicate detection (issue 13 item 15).
 *
 * `generatePeople({ seed, people, zips })` returns the same records for the same options on every
 * run (mulberry32 PRNG, no `Math.random`). Each record carries the `personId` of the person it
 * describes: two records are the same person exactly when their `personId`s are equal (the label).
 *
 * What is in it, on purpose:
 * - first names and surnames drawn with realistic skew (the common ones much more often: many
 *   "Smith"s and "Garcia"s per ZIP), Hispanic double surnames, middle names;
 * - households: 35 % of the people live with 1–3 others at the same ZIP, sharing the surname (most
 *   of the time) and a landline's last four digits — the hard negatives of a name rule ("Maria
 *   Lopez" and "Mario Lopez" at the same address are two people);
 * - 30 % of the people come back as 1–2 more records with what lead sources do to a name: typos
 *   (a letter dropped, doubled, swapped with its neighbour, replaced by a keyboard neighbour),
 *   spelling variants that sound the same (Lopez/Lopes, Mariah/Maria, Katherine/Catherine,
 *   Steven/Stephen), nicknames (Bob/Robert, Liz/Elizabeth), first and last name swapped, a middle
 *   name or second surname missing or added, and combinations of two of these;
 * - a duplicate keeps the person's ZIP (75 %) or, having moved, only the mobile's last four digits.
 *
 * Not generated: two different people with the same name at the same ZIP (no name rule can tell
 * them apart; the generator re-draws such a person), records with only a surname or initials.
 */

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Names in rough order of frequency (US census / SSA); picked with a Zipf-like skew.
const FEMALE = (
  'mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra ashley ' +
  'kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy ' +
  'angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel carolyn janet catherine ' +
  'maria heather diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea ' +
  'cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn janice jean abigail alice julia judy ' +
  'sophia grace denise amber doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla ' +
  'alexis lori mariah rosa guadalupe carmen yesenia priya mei aisha fatima ana lucia valeria camila ximena'
).split(' ');
const MALE = (
  'james robert john michael david william richard joseph thomas charles christopher daniel matthew anthony mark donald ' +
  'steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric ' +
  'jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick raymond jack dennis jerry ' +
  'tyler aaron jose adam nathan henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry ' +
  'gerald harold sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel logan albert willie ' +
  'alan juan wayne elijah randy roy vincent ralph eugene russell bobby mason philip louis mario luis carlos miguel jorge ' +
  'alejandro rahul wei omar ahmed diego mateo'
).split(' ');
const SURNAMES = (
  'smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson ' +
  'thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker young ' +
  'allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts ' +
  'gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez ' +
  'ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james ' +
  'bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins ' +
  'perry russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson ' +
  'alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina ' +
  'aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas ' +
  'henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder mason ' +
  'dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice ' +
  'schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins ' +
  'arnold pierce vazquez hansen peters santos hart bradley knight elliott cunningham duncan armstrong hudson carroll ' +
  'lane riley andrews alvarado ray delgado berry perkins hoffman johnston matthews pena richards contreras willis ' +
  'carpenter lawrence sandoval guerrero george chapman rios estrada ortega watkins greene nunez wheeler valdez harper ' +
  'burke larson santiago maldonado morrison franklin carlson austin dominguez carr lawson jacobs obrien lynch singh vega ' +
  'bishop montgomery oliver jensen harvey williamson gilbert dean sims espinoza howell li wong reid hanson le mccoy ' +
  'garrett burton fuller wang weber welch rojas lucas marquez fields park yang little banks padilla day walsh bowman ' +
  'schultz luna fowler mejia davidson acosta brewer may holland juarez newman pearson curtis cortez douglas schneider ' +
  'joseph barrett navarro figueroa keller avila wade molina stanley hopkins campos barnett bates chambers caldwell beck ' +
  'lambert miranda byrd craig ayala lowe frazier powers neal leonard gregory carrillo sutton fleming rhodes shelton ' +
  'schwartz norris jennings watts duran walters cohen mcdaniel moran parks steele vaughn becker holt deleon barker terry ' +
  'hale leon hail benson haynes horton miles lyons pham graves bush thornton wolfe warner cabrera mckinney mann zimmerman ' +
  'dawson lara fletcher page mccarthy love robles cervantes solis erickson reeves chang klein salinas fuentes baldwin ' +
  'daniel simon velasquez hardy higgins aguirre lin cummings chandler sharp barber bowen ochoa dennis robbins liu ramsey ' +
  'francis griffith paul blair oconnor cardenas pacheco cross calderon quinn moss swanson chan rivas khan rodgers serrano'
).split(' ');
const HISPANIC = new Set(
  'garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera gomez diaz cruz reyes morales gutierrez ortiz ramos chavez mendoza ruiz alvarez castillo jimenez vasquez romero moreno herrera medina aguilar castro fernandez vargas guzman mendez munoz salazar garza soto vazquez santos alvarado delgado pena contreras sandoval guerrero rios estrada ortega nunez valdez santiago maldonado dominguez vega espinoza rojas marquez padilla luna mejia acosta juarez cortez navarro figueroa avila molina campos miranda ayala carrillo duran leon cabrera lara robles cervantes solis salinas fuentes velasquez aguirre ochoa cardenas pacheco calderon rivas serrano'.split(
    ' ',
  ),
);

/**
 * Nickname groups: the first name a person goes by and the one on their other records. Written
 * separately from crm's `NICKNAME_GROUPS` (from common US usage, for the first names this generator
 * draws), and different from it on purpose: a labelled set built from the detector's own table
 * would measure the table, not the rule. Where a group here has a name crm's table lacks, the
 * pair is a miss the figures count.
 */
export const NICKNAME_GROUPS = [
  'robert bob bobby rob robbie',
  'william bill billy will willie',
  'richard rick ricky rich richie',
  'james jim jimmy jamie',
  'john johnny jack',
  'michael mike mikey mickey',
  'david dave davy',
  'joseph joe joey',
  'thomas tom tommy',
  'charles charlie chuck',
  'christopher chris kit',
  'daniel dan danny',
  'matthew matt',
  'anthony tony',
  'donald don donny',
  'steven steve',
  'andrew andy drew',
  'joshua josh',
  'kenneth ken kenny',
  'edward ed eddie ted',
  'timothy tim timmy',
  'gregory greg',
  'benjamin ben benji',
  'samuel sam',
  'alexander alex al',
  'nicholas nick',
  'patrick pat paddy',
  'peter pete',
  'raymond ray',
  'gerald gerry jerry',
  'lawrence larry',
  'jeffrey jeff',
  'zachary zack',
  'henry hank harry',
  'walter walt wally',
  'ronald ron ronnie',
  'douglas doug',
  'albert al bert',
  'arthur art',
  'eugene gene',
  'philip phil',
  'russell russ',
  'jacob jake',
  'nathan nate',
  'jonathan jon jonny',
  'elizabeth liz beth betsy betty',
  'margaret maggie meg peggy marge',
  'katherine kate katie kathy',
  'catherine cathy cat',
  'kathleen kathy kate',
  'jennifer jen jenny',
  'patricia pat patty trish',
  'susan sue suzy',
  'deborah deb debbie',
  'rebecca becky',
  'kimberly kim',
  'christine chris tina',
  'samantha sam sammie',
  'victoria vicky tori',
  'abigail abby',
  'jacqueline jackie',
  'theresa tess terri',
  'judith judy',
  'pamela pam',
  'cynthia cindy',
  'dorothy dot dottie',
  'barbara barb',
  'jessica jess jessie',
  'sandra sandy',
  'amanda mandy',
  'stephanie steph',
  'virginia ginny',
  'isabella bella izzy',
  'madison maddie',
  'alejandro alex',
  'francisco paco',
  'guadalupe lupe',
  'jose pepe',
].map((group) => group.split(' '));

/** Same-sounding spellings a clerk or a form may produce (either direction). */
const SPELLINGS = [
  ['mariah', 'maria'],
  ['katherine', 'catherine'],
  ['katherine', 'kathryn'],
  ['steven', 'stephen'],
  ['sara', 'sarah'],
  ['ann', 'anne'],
  ['philip', 'phillip'],
  ['jeffrey', 'geoffrey'],
  ['brian', 'bryan'],
  ['jon', 'john'],
  ['teresa', 'theresa'],
  ['carl', 'karl'],
  ['eric', 'erik'],
  ['allan', 'alan'],
  ['lopez', 'lopes'],
  ['gonzalez', 'gonzales'],
  ['rodriguez', 'rodrigues'],
  ['smith', 'smyth'],
  ['meyer', 'meier'],
  ['reid', 'reed'],
  ['olson', 'olsen'],
  ['peterson', 'petersen'],
  ['hansen', 'hanson'],
  ['thompson', 'thomson'],
  ['mcdonald', 'macdonald'],
  ['obrien', "o'brien"],
  ['vazquez', 'vasquez'],
  ['chen', 'chan'],
];

const KEYBOARD = {
  q: 'wa',
  w: 'qes',
  e: 'wrd',
  r: 'etf',
  t: 'ryg',
  y: 'tuh',
  u: 'yij',
  i: 'uok',
  o: 'ipl',
  p: 'ol',
  a: 'qsz',
  s: 'adw',
  d: 'sfe',
  f: 'dgr',
  g: 'fht',
  h: 'gjy',
  j: 'hku',
  k: 'jli',
  l: 'ko',
  z: 'as',
  x: 'zc',
  c: 'xv',
  v: 'cb',
  b: 'vn',
  n: 'bm',
  m: 'n',
};

const capital = (word) =>
  word
    .split(/([ '-])/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/**
 * @param {{ seed?: number, people?: number, zips?: number }} [options] seed 20261113, 4,000
 *   people over 40 ZIP codes (about 100 people, 150 records, per ZIP) by default
 * @returns {{ records: Array<{ recordId: number, personId: number, firstName: string, lastName: string,
 *   postalCode: string, phone: string, variation: string }>, people: number }} records in arrival order
 */
export function generatePeople({ seed = 20261113, people = 4000, zips = 40 } = {}) {
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  // Zipf-like skew: index ~ list.length * u^2.2 (the first names far more often than the last).
  const skewed = (list) => list[Math.floor(list.length * random() ** 2.2)];
  const digits = (n) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const zipCodes = Array.from({ length: zips }, (_, i) => String(98001 + i * 7));
  const taken = new Set(); // `${zip}|first|last` of every generated person

  const persons = [];
  const drawPerson = (zip, lastName, landline) => {
    for (;;) {
      const female = random() < 0.5;
      const first = skewed(female ? FEMALE : MALE);
      let last = lastName ?? skewed(SURNAMES);
      if (!lastName && HISPANIC.has(last) && random() < 0.3) last = `${last} ${skewed([...HISPANIC])}`;
      let middle = random() < 0.25 ? skewed(random() < 0.5 ? FEMALE : MALE) : null;
      if (middle === first) middle = null;
      const name = `${first}|${last.split(' ')[0]}`;
      const mobile = `+1206${digits(7)}`;
      const keys = [`${zip}|${name}`, `${mobile.slice(-4)}|${name}`, ...(landline ? [`${landline.slice(-4)}|${name}`] : [])];
      // Two people of one name at one ZIP or with one phone suffix: indistinguishable by name.
      if (keys.some((key) => taken.has(key))) continue;
      for (const key of keys) taken.add(key);
      return { personId: persons.length, first, middle, last, zip, mobile, landline };
    }
  };
  while (persons.length < people) {
    const zip = pick(zipCodes);
    const head = drawPerson(zip, null, null);
    persons.push(head);
    if (random() < 0.35) {
      const landline = `+1425${digits(7)}`;
      if (taken.has(`${landline.slice(-4)}|${head.first}|${head.last.split(' ')[0]}`)) continue;
      taken.add(`${landline.slice(-4)}|${head.first}|${head.last.split(' ')[0]}`);
      head.landline = landline;
      const others = 1 + Math.floor(random() * 3);
      for (let k = 0; k < others && persons.length < people; k += 1) {
        const sameName = random() < 0.85;
        persons.push(drawPerson(zip, sameName ? head.last : null, landline));
      }
    }
  }

  const typo = (word) => {
    if (word.length < 4) return word;
    const i = 1 + Math.floor(random() * (word.length - 2));
    const kind = Math.floor(random() * 4);
    if (kind === 0) return word.slice(0, i) + word.slice(i + 1); // dropped
    if (kind === 1) return word.slice(0, i) + word[i] + word.slice(i); // doubled
    if (kind === 2) return word.slice(0, i - 1) + word[i] + word[i - 1] + word.slice(i + 1); // swapped neighbours
    const near = KEYBOARD[word[i]];
    return near ? word.slice(0, i) + near[Math.floor(random() * near.length)] + word.slice(i + 1) : word;
  };
  const respell = (word) => {
    const options = SPELLINGS.filter(([a, b]) => a === word || b === word);
    if (options.length === 0) return null;
    const [a, b] = pick(options);
    return a === word ? b : a;
  };
  const nickname = (first) => {
    const groups = NICKNAME_GROUPS.filter((group) => group.includes(first));
    if (groups.length === 0) return null;
    const others = pick(groups).filter((name) => name !== first);
    return pick(others);
  };

  /** One altered copy of a person's name; `kinds` is what was done to it. */
  const variantOf = (person) => {
    let first = person.first;
    let last = person.last;
    let middle = person.middle;
    let swapped = false;
    const kinds = [];
    const count = random() < 0.25 ? 2 : 1;
    for (let k = 0; k < count; k += 1) {
      const roll = random();
      if (roll < 0.35) {
        if (random() < 0.5) first = typo(first);
        else
          last = last
            .split(' ')
            .map((part, idx) => (idx === 0 ? typo(part) : part))
            .join(' ');
        kinds.push('typo');
      } else if (roll < 0.5) {
        const firstAlt = respell(first);
        const lastAlt = respell(last.split(' ')[0]);
        if (firstAlt && (!lastAlt || random() < 0.5)) first = firstAlt;
        else if (lastAlt) last = [lastAlt, ...last.split(' ').slice(1)].join(' ');
        else first = typo(first);
        kinds.push(firstAlt || lastAlt ? 'spelling' : 'typo');
      } else if (roll < 0.7) {
        const nick = nickname(first);
        if (nick) first = nick;
        else first = typo(first);
        kinds.push(nick ? 'nickname' : 'typo');
      } else if (roll < 0.8) {
        swapped = true;
        kinds.push('swapped');
      } else {
        // missing or added part: middle name, second surname
        if (last.includes(' ')) last = last.split(' ')[0];
        else if (middle) middle = null;
        else if (HISPANIC.has(last)) last = `${last} ${skewed([...HISPANIC])}`;
        else middle = skewed(random() < 0.5 ? FEMALE : MALE);
        kinds.push('missing-or-added-part');
      }
    }
    const firstField = [first, middle].filter(Boolean).join(' ');
    return swapped
      ? { firstName: capital(last), lastName: capital(firstField), variation: kinds.join('+') }
      : { firstName: capital(firstField), lastName: capital(last), variation: kinds.join('+') };
  };

  const records = [];
  const dupOf = []; // [person, arrives after index]
  for (const person of persons) {
    records.push({
      personId: person.personId,
      firstName: capital([person.first, person.middle].filter(Boolean).join(' ')),
      lastName: capital(person.last),
      postalCode: person.zip,
      phone: person.landline && random() < 0.5 ? person.landline : person.mobile,
      variation: 'original',
    });
    if (random() < 0.3) {
      const copies = random() < 0.2 ? 2 : 1;
      for (let c = 0; c < copies; c += 1) dupOf.push(person);
    }
  }
  for (const person of dupOf) {
    // A move goes to a ZIP where no other person of the same name lives.
    const name = `${person.first}|${person.last.split(' ')[0]}`;
    const destinations = zipCodes.filter((z) => z !== person.zip && !taken.has(`${z}|${name}`));
    const moved = random() < 0.25 && destinations.length > 0;
    records.push({
      personId: person.personId,
      ...variantOf(person),
      postalCode: moved ? pick(destinations) : person.zip,
      phone: moved ? person.mobile : random() < 0.5 ? person.mobile : `+1206${digits(7)}`,
    });
  }
  // Arrival order: shuffled (a copy may arrive before the person's first record).
  for (let i = records.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [records[i], records[j]] = [records[j], records[i]];
  }
  return { records: records.map((record, recordId) => ({ recordId, ...record })), people: persons.length };
}
