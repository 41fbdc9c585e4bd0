// The kong database and its grants, as the program declares them, replayed with the bridged
// provider's SQL on PostgreSQL 17 emulating Azure, in both readings and for both owners of `public`
// (see test/support/kongDatabaseSuite.ts).
import { kongDatabaseSuite } from "./support/kongDatabaseSuite";

kongDatabaseSuite(17);
