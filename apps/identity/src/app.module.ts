import { type DynamicModule, Module } from '@nestjs/common';
import { SecretCipher } from '@keyhouse/platform/auth';
import { QueueModule } from '@keyhouse/platform/queue';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { IDENTITY_CONFIG, type IdentityConfig } from './config/identity.config';
import { InitialIdentitySchema1763683200000 } from './database/migrations/1763683200000-initial-identity-schema';
import { ClientContactLink1763856000000 } from './database/migrations/1763856000000-client-contact-link';
import { AccountSecurity1764028800000 } from './database/migrations/1764028800000-account-security';
import { ApiKeysService } from './modules/api-keys/api-keys.service';
import { AuthService } from './modules/auth/auth.service';
import { LoginThrottleService } from './modules/auth/login-throttle.service';
import { MfaService } from './modules/auth/mfa.service';
import { OneTimeTokenService } from './modules/auth/one-time-token.service';
import { PasswordService } from './modules/auth/password.service';
import { RevocationService } from './modules/auth/revocation.service';
import { SessionService } from './modules/auth/session.service';
import { SECRET_CIPHER, SigningKeyService } from './modules/auth/signing-key.service';
import { TotpService } from './modules/auth/totp.service';
import { EMAIL_SENDER } from './modules/mail/email-sender.port';
import { LocalEmailSender } from './modules/mail/local-email-sender.adapter';
import { LocalMailboxService } from './modules/mail/local-mailbox.service';
import { IDENTITY_MAINTENANCE_QUEUE, IdentityMaintenanceJob } from './modules/maintenance/identity-maintenance.job';
import { OrganizationsService } from './modules/organizations/organizations.service';
import { ContactErasureConsumer } from './modules/privacy/contact-erasure.consumer';
import { AgentsService } from './modules/users/agents.service';
import { RolePermissionsService } from './modules/users/role-permissions.service';
import { RolesService } from './modules/users/roles.service';
import { TeamsService } from './modules/users/teams.service';
import { UserQueries } from './modules/users/user.queries';
import { UsersService } from './modules/users/users.service';

export const IDENTITY_SERVICE_NAME = 'identity';

/**
 * The identity service: NATS responders (the services' `@RpcHandler` methods), outbox relay,
 * maintenance jobs, the `crm.contact.erased` handler (`@OnEvent`) that erases the client user of an
 * erased contact, and on its own HTTP port
 * health, metrics and the operators' failed-jobs view.
 */
@Module({})
export class IdentityAppModule {
  static forRoot(config: IdentityConfig): DynamicModule {
    return {
      module: IdentityAppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: IDENTITY_SERVICE_NAME,
          platform: config,
          database: {
            url: config.IDENTITY_DATABASE_URL,
            schema: config.IDENTITY_DATABASE_SCHEMA,
            migrations: [InitialIdentitySchema1763683200000, ClientContactLink1763856000000, AccountSecurity1764028800000],
          },
          opsToken: config.OPS_TOKEN,
        }),
        QueueModule.registerQueues(IDENTITY_MAINTENANCE_QUEUE),
      ],
      providers: [
        { provide: IDENTITY_CONFIG, useValue: config },
        {
          provide: SECRET_CIPHER,
          useFactory: () => new SecretCipher(config.IDENTITY_ENCRYPTION_KEYS.ring, config.IDENTITY_ENCRYPTION_KEYS.activeKeyId),
        },
        { provide: EMAIL_SENDER, useClass: LocalEmailSender },
        IdentityMaintenanceJob,
        PasswordService,
        TotpService,
        SigningKeyService,
        RevocationService,
        RolePermissionsService,
        SessionService,
        OneTimeTokenService,
        MfaService,
        LoginThrottleService,
        AuthService,
        UserQueries,
        UsersService,
        AgentsService,
        TeamsService,
        RolesService,
        OrganizationsService,
        ApiKeysService,
        LocalMailboxService,
        ContactErasureConsumer,
      ],
    };
  }
}
