//! Helpers shared by the migrations. Applied migrations depend on these, so their behaviour must
//! never change; add a new helper instead.

use sea_orm_migration::prelude::*;

/// Creates the plain (non-unique) index `name` on `columns` of `table`, in that order.
pub(crate) async fn create_index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column.into_iden());
    }
    manager.create_index(index.to_owned()).await
}
