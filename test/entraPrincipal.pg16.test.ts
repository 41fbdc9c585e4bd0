// EntraPrincipal's lifecycle on PostgreSQL 16, under both readings of Azure's role management
// (see test/support/entraPrincipalSuite.ts and test/support/azurePostgres.ts).
import { entraPrincipalSuite } from "./support/entraPrincipalSuite";

entraPrincipalSuite(16);
