import type { ArgumentMetadata } from '@nestjs/common';
import { DomainException } from '@keyhouse/platform/messaging';
import { createValidationPipe } from '../../platform/validation.pipe';
import { UpdateTaskDto } from './tasks.dto';
import { UpdateTransactionDto } from '../../deals/dto/deals.dto';
import { UpdateTagDto } from './tags.dto';

const pipe = createValidationPipe();
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

/** The field names of the 400 raised for `value`, or [] when it passes. */
async function refusedFields(metatype: ArgumentMetadata['metatype'], value: object): Promise<string[]> {
  try {
    await pipe.transform(value, body(metatype));
    return [];
  } catch (error) {
    if (!(error instanceof DomainException)) throw error;
    return [...new Set((error.errors ?? []).map((e) => e.field))].sort();
  }
}

describe('update DTOs derived with PartialType', () => {
  describe('UpdateTaskDto', () => {
    it('accepts an empty change and a change of one inherited field', async () => {
      expect(await refusedFields(UpdateTaskDto, {})).toEqual([]);
      expect(await refusedFields(UpdateTaskDto, { title: '  Call back  ' })).toEqual([]);
    });

    it('keeps the create rules of inherited fields', async () => {
      expect(await refusedFields(UpdateTaskDto, { title: '', type: 'party', contactId: 'x' })).toEqual(['contactId', 'title', 'type']);
    });

    it('refuses null for assigneeId, dueAt and reminders, unlike create', async () => {
      expect(await refusedFields(UpdateTaskDto, { assigneeId: null, dueAt: null, reminders: null })).toEqual([
        'assigneeId',
        'dueAt',
        'reminders',
      ]);
    });

    it('refuses unknown fields', async () => {
      expect(await refusedFields(UpdateTaskDto, { title: 'x', colour: '#fff' })).toEqual(['colour']);
    });
  });

  describe('UpdateTagDto', () => {
    it('refuses the scope, which only create takes', async () => {
      expect(await refusedFields(UpdateTagDto, { scope: 'org' })).toEqual(['scope']);
    });
  });

  describe('UpdateTransactionDto', () => {
    it('validates nested key dates and price bounds as create does', async () => {
      expect(await refusedFields(UpdateTransactionDto, { keyDates: { closing: '2026-13-01' }, price: -1 })).toEqual([
        'keyDates.closing',
        'price',
      ]);
      expect(await refusedFields(UpdateTransactionDto, { price: Number.MAX_SAFE_INTEGER, side: 'buy' })).toEqual([]);
    });
  });
});
