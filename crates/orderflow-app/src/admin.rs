//! Organisations, users and tokens. The administrator creates
//! organisations and users; a user reads its own organisation (changes it
//! with its `admin` role) and makes more tokens for itself.

use orderflow_api::{
    CreateOrganization, CreateUser, OrganizationView, TokenCreated, UpdateOrganization, UpdateUser,
    UserCreated, UserView,
};
use orderflow_store::{ApiToken, Organization, User};

use crate::auth::{Caller, UserCaller, new_token, sha256};
use crate::error::AppError;
use crate::{App, passwords, views};

/// Ids people type: 1 to 100 of `a-z A-Z 0-9 - _ .`.
pub fn check_id(field: &str, id: &str) -> Result<(), AppError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            "1 to 100 letters, digits, '-', '_' or '.'",
        ))
    }
}

pub fn check_name(field: &str, name: &str) -> Result<(), AppError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid(field, "1 to 200 characters"));
    }
    Ok(())
}

pub(crate) fn admin_only(caller: &Caller) -> Result<(), AppError> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::User(_) => Err(AppError::forbidden("this needs the administrator token")),
    }
}

/// Whether the caller may read or change organisation `id`: the
/// administrator, or a user of it (changing needs its `admin` role).
fn may_see_org(caller: &Caller, id: &str) -> bool {
    match caller {
        Caller::Admin => true,
        Caller::User(u) => u.organization == id,
    }
}

impl App {
    /// Creates an organisation (administrator).
    pub async fn create_organization(
        &self,
        caller: &Caller,
        req: CreateOrganization,
    ) -> Result<OrganizationView, AppError> {
        admin_only(caller)?;
        check_id("id", &req.id)?;
        check_name("name", &req.name)?;
        let settings = self.check_settings(&req.settings)?;
        let org = Organization {
            id: req.id,
            name: req.name,
            settings,
            created_at: self.now(),
        };
        self.store.create_organization(&org).await?;
        Ok(views::organization(&org))
    }

    /// An organisation and its settings (the administrator, or its own
    /// users).
    pub async fn organization(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<OrganizationView, AppError> {
        if !may_see_org(caller, id) {
            return Err(AppError::not_found("organization"));
        }
        let org = self
            .store
            .organization(id)
            .await?
            .ok_or_else(|| AppError::not_found("organization"))?;
        Ok(views::organization(&org))
    }

    /// Changes an organisation's name or settings (the administrator, or a
    /// user of it with the `admin` role). Settings keys set to `null` are
    /// removed.
    pub async fn update_organization(
        &self,
        caller: &Caller,
        id: &str,
        req: UpdateOrganization,
    ) -> Result<OrganizationView, AppError> {
        if !may_see_org(caller, id) {
            return Err(AppError::not_found("organization"));
        }
        if let Caller::User(u) = caller
            && !u.roles.iter().any(|r| r == "admin")
        {
            return Err(AppError::forbidden(
                "changing an organisation needs its admin role",
            ));
        }
        let mut org = self
            .store
            .organization(id)
            .await?
            .ok_or_else(|| AppError::not_found("organization"))?;
        if let Some(name) = req.name {
            check_name("name", &name)?;
            org.name = name;
        }
        let settings = self.check_settings(&req.settings.unwrap_or_default())?;
        for (key, value) in settings {
            if value.is_null() {
                org.settings.remove(&key);
            } else {
                org.settings.insert(key, value);
            }
        }
        self.store.update_organization(&org).await?;
        Ok(views::organization(&org))
    }

    /// Settings must fit every workflow's declaration of them: a bad one
    /// is refused here, not discovered by every order that reads it. Gives
    /// them as they are kept (amounts of money as decimal text).
    fn check_settings(
        &self,
        settings: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
        orderflow_core::settings::check_organization(
            self.workflows.all_latest().iter().map(|wf| &wf.def),
            settings,
        )
        .map_err(|errors| {
            AppError::invalid_fields(errors.into_iter().map(|e| (e.field, e.message)).collect())
        })
    }

    async fn issue_token(&self, user: &str, name: &str) -> Result<TokenCreated, AppError> {
        let secret = new_token()?;
        let token = ApiToken {
            id: uuid::Uuid::now_v7().to_string(),
            user: user.to_owned(),
            name: name.to_owned(),
            sha256: sha256(&secret),
            created_at: self.now(),
        };
        self.store.create_token(&token).await?;
        Ok(TokenCreated {
            id: token.id,
            name: token.name,
            token: secret,
        })
    }

    /// Creates a user with its first API token, shown this once, and
    /// optionally a password (administrator).
    pub async fn create_user(
        &self,
        caller: &Caller,
        req: CreateUser,
    ) -> Result<UserCreated, AppError> {
        admin_only(caller)?;
        let id = req
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        check_id("id", &id)?;
        check_name("name", &req.name)?;
        for (i, role) in req.roles.iter().enumerate() {
            check_id(&format!("roles.{i}"), role)?;
        }
        if let Some(password) = &req.password {
            passwords::check_password("password", password)?;
        }
        if self.store.organization(&req.organization).await?.is_none() {
            return Err(AppError::invalid(
                "organization",
                format!("no organisation {:?}", req.organization),
            ));
        }
        let phc = match &req.password {
            Some(password) => Some(passwords::hash(password).await?),
            None => None,
        };
        let user = User {
            id,
            name: req.name,
            organization: req.organization,
            roles: req.roles,
            email: req.email,
            created_at: self.now(),
            organization_name: String::new(),
        };
        self.store.create_user(&user).await?;
        if let Some(phc) = &phc {
            self.store.set_password(&user.id, Some(phc)).await?;
        }
        let token = self.issue_token(&user.id, "first").await?;
        Ok(UserCreated {
            user: views::user(&user),
            token,
        })
    }

    /// Renames a user or changes their roles or e-mail (administrator).
    /// History keeps the name each entry was written with.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: &str,
        req: UpdateUser,
    ) -> Result<UserView, AppError> {
        admin_only(caller)?;
        let mut user = self
            .store
            .user(id)
            .await?
            .ok_or_else(|| AppError::not_found("user"))?;
        if let Some(name) = req.name {
            check_name("name", &name)?;
            user.name = name;
        }
        if let Some(roles) = req.roles {
            for (i, role) in roles.iter().enumerate() {
                check_id(&format!("roles.{i}"), role)?;
            }
            user.roles = roles;
        }
        if let Some(email) = req.email {
            user.email = Some(email).filter(|e| !e.is_empty());
        }
        self.store.update_user(&user).await?;
        Ok(views::user(&user))
    }

    /// Makes another token for the calling user, shown this once.
    pub async fn create_token(
        &self,
        caller: &UserCaller,
        name: Option<String>,
    ) -> Result<TokenCreated, AppError> {
        let name = name.unwrap_or_else(|| "api".to_owned());
        check_name("name", &name)?;
        self.issue_token(&caller.0.id, &name).await
    }
}
