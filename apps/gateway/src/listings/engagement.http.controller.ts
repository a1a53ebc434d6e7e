import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ListingsEngagementSubjects as S,
  type ContactListingView,
  type Page,
  type PropertyViewRecorded,
  type SavedSearchView,
  type ListingsShareView,
} from '@keyhouse/contracts';
import { RequirePermission } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { Idempotent } from '../platform/idempotency.interceptor';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import {
  ContactListingPageDto,
  ContactListingViewDto,
  CreateSavedSearchDto,
  ListingShareViewDto,
  ListInterestsQueryDto,
  ListSavedSearchesQueryDto,
  PropertyViewRecordedDto,
  PutInterestDto,
  RecordViewDto,
  SavedSearchPageDto,
  SavedSearchViewDto,
  ShareListingDto,
} from './dto/engagement.dto';

const contactIdParam = new ParseUUIDPipe({
  exceptionFactory: () => DomainException.validation([{ field: 'contactId', message: 'must be a UUID' }]),
});

/** Views of and interest in listings, per contact. */
@ApiTags('listings')
@ApiBearerAuth()
@Controller('properties')
export class PropertyEngagementHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post(':id/views')
  @RequirePermission('listings:read')
  @ApiOperation({ summary: 'Record that a contact viewed a listing (website, portal) → listings.property.viewed' })
  @ApiCreatedResponse({ type: PropertyViewRecordedDto })
  @ApiProblems(400, 401, 403, 404)
  recordView(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Body() body: RecordViewDto,
  ): Promise<PropertyViewRecorded> {
    return this.rpc.call(S.recordView, request, { ...body, propertyId: id });
  }

  @Put(':id/interests/:contactId')
  @RequirePermission('listings:read')
  @ApiOperation({ summary: 'Set a contact’s interest in a listing (RESO ContactListings: Favorite, Possibility, Discard, with a note)' })
  @ApiOkResponse({ type: ContactListingViewDto })
  @ApiProblems(400, 401, 403, 404)
  putInterest(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Param('contactId', contactIdParam) contactId: string,
    @Body() body: PutInterestDto,
  ): Promise<ContactListingView> {
    return this.rpc.call(S.interestPut, request, { ...body, propertyId: id, contactId });
  }

  @Post(':id/shares')
  @RequirePermission('listings:read')
  @Idempotent()
  @ApiOperation({
    summary:
      'Share a listing with a contact the caller can read; the contact’s client user then sees it while it is on the market (agents; clients 403) → listings.property.shared',
  })
  @ApiCreatedResponse({ type: ListingShareViewDto })
  @ApiProblems(400, 401, 403, 404)
  share(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string, @Body() body: ShareListingDto): Promise<ListingsShareView> {
    return this.rpc.call(S.shareCreate, request, { propertyId: id, contactId: body.contactId });
  }

  @Delete(':id/shares/:contactId')
  @RequirePermission('listings:read')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw a share → listings.property.unshared' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404)
  async unshare(
    @Req() request: GatewayRequest,
    @Param('id', uuidParam) id: string,
    @Param('contactId', contactIdParam) contactId: string,
  ): Promise<void> {
    await this.rpc.call(S.shareDelete, request, { propertyId: id, contactId });
  }
}

/** `/v1/contact-listings`: interest per contact or per listing. */
@ApiTags('listings')
@ApiBearerAuth()
@Controller('contact-listings')
export class ContactListingsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @RequirePermission('listings:read')
  @ApiOperation({ summary: 'Interest of a contact (contactId) or in a listing (propertyId), most recent first' })
  @ApiOkResponse({ type: ContactListingPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListInterestsQueryDto): Promise<Page<ContactListingView>> {
    return this.rpc.call(S.interestList, request, query, { retries: 1 });
  }
}

/** `/v1/saved-searches`: a contact's saved searches; new matches emit listings.search.matched. */
@ApiTags('listings')
@ApiBearerAuth()
@Controller('saved-searches')
export class SavedSearchesHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post()
  @RequirePermission('listings:read')
  @Idempotent()
  @ApiOperation({ summary: 'Save a search (list filters + optional GeoJSON area) for a contact' })
  @ApiCreatedResponse({ type: SavedSearchViewDto })
  @ApiProblems(400, 401, 403)
  create(@Req() request: GatewayRequest, @Body() body: CreateSavedSearchDto): Promise<SavedSearchView> {
    return this.rpc.call(S.savedSearchCreate, request, body);
  }

  @Get()
  @RequirePermission('listings:read')
  @ApiOperation({ summary: 'Saved searches, newest first (filter: contactId)' })
  @ApiOkResponse({ type: SavedSearchPageDto })
  @ApiProblems(400, 401, 403)
  list(@Req() request: GatewayRequest, @Query() query: ListSavedSearchesQueryDto): Promise<Page<SavedSearchView>> {
    return this.rpc.call(S.savedSearchList, request, query, { retries: 1 });
  }

  @Delete(':id')
  @RequirePermission('listings:read')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a saved search' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 403, 404)
  async delete(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<void> {
    await this.rpc.call(S.savedSearchDelete, request, { id });
  }
}
