import { placeholdersOf, renderTemplate } from './reply-template.util';

describe('placeholdersOf', () => {
  it('lists each placeholder once, known apart from unknown, across subject and body', () => {
    expect(
      placeholdersOf('Hi {{contact.firstName}}', 'Dear {{ contact.firstName }}, {{agent.name}} here. {{contact.favouriteColour}} {{x}}'),
    ).toEqual({
      known: ['contact.firstName', 'agent.name'],
      unknown: ['contact.favouriteColour', 'x'],
    });
  });

  it('ignores braces that are not placeholders', () => {
    expect(placeholdersOf('{{}} {{ 1abc }} {single} {{a..b}}')).toEqual({ known: [], unknown: [] });
  });
});

describe('renderTemplate', () => {
  it('fills known placeholders, empties missing ones and reports them, keeps unknown ones as written', () => {
    const result = renderTemplate('Hi {{contact.firstName}}, {{agent.name}} from {{organization.name}}. {{contact.shoeSize}}', {
      'contact.firstName': 'Ann',
      'agent.name': 'Ava Stone',
      'contact.shoeSize': '9',
    });
    expect(result).toEqual({ text: 'Hi Ann, Ava Stone from . {{contact.shoeSize}}', missing: ['organization.name'] });
  });

  it('does not expand placeholders inside values', () => {
    expect(renderTemplate('Hi {{contact.firstName}}', { 'contact.firstName': '{{agent.name}}', 'agent.name': 'x' }).text).toBe(
      'Hi {{agent.name}}',
    );
  });
});
